"""Per-request DataLoaders: every nested read costs one SQL statement per level.

Each loader is scoped to the viewer's workspace, so a foreign key that points
into another workspace (it cannot, but if it did) would load nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from api.core.windows import ChildPage, child_pages
from domain.opportunities import MAX_LINE_ITEMS
from domain.pipelines import MAX_CHECKLIST_ITEMS, MAX_STAGES
from domain.stages import RECENT_STAGE_CHANGES
from domain.viewer import Viewer
from models import (
    Activity,
    ChecklistItem,
    Contact,
    Customer,
    LineItem,
    Opportunity,
    OpportunityChecklistState,
    Pipeline,
    Product,
    Reminder,
    Stage,
    StageChange,
    User,
)

# The order of each nested list, as (column, descending); "newest first" for activities.
ACTIVITY_ORDER = (("occurred_at", True), ("id", True))
CONTACT_ORDER = (("is_primary", True), ("id", False))
OPPORTUNITY_ORDER = (("updated_at", True), ("id", True))
POSITION_ORDER = (("position", False), ("id", False))
STAGE_CHANGE_ORDER = (("changed_at", False), ("id", False))


def _by_id(model: type[Model], workspace_id: int) -> DataLoader[int, Any]:
    async def load(ids: Sequence[int]) -> list[Any]:
        found = {row.pk: row for row in await model.filter(id__in=ids, workspace_id=workspace_id)}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _all_by(
    model: type[Model],
    column: str,
    workspace_id: int,
    order: Sequence[str] = ("id",),
    **conditions: Any,
) -> DataLoader[int, list[Any]]:
    """Every child of each parent, for what resolvers use but never return as a list (a
    deal's checklist states, an activity's reminder); a list a client reads is `_first_by`."""

    async def load(parent_ids: Sequence[int]) -> list[list[Any]]:
        grouped: dict[int, list[Any]] = defaultdict(list)
        rows = await model.filter(
            **{f"{column}__in": parent_ids}, workspace_id=workspace_id, **conditions
        ).order_by(*order)
        for row in rows:
            grouped[getattr(row, column)].append(row)
        return [grouped.get(i, []) for i in parent_ids]

    return DataLoader(load_fn=load)


Order = Sequence[tuple[str, bool]]  # (column, descending) pairs


def _first_by(
    model: type[Model],
    column: str,
    workspace_id: int,
    order: Order,
    most: int,
    *,
    reverse: bool = False,
    **equals: Any,
) -> DataLoader[int, list[Any]]:
    """The first `most` children of each parent in `order`, in one windowed statement;
    `reverse`: the last `most`, still in `order` (the recent end of a deal's history).

    For the lists a client reads whole (a deal's lines, a pipeline's stages): `most` is the
    bound the field declares (`api.core.list_bounds`) and the domain enforces when it
    writes, so the query cost counts what is read even for rows the rule never saw
    (stored before it, or by hand), and a list that grows for ever shows its recent end."""
    window = [(name, descending != reverse) for name, descending in order]

    async def load(parent_ids: Sequence[int]) -> list[list[Any]]:
        pages = await child_pages(
            model,
            parent_column=column,
            parent_ids=list(dict.fromkeys(parent_ids)),
            order_by=window,
            workspace_id=workspace_id,
            limit=most,
            equals=equals,
        )
        return [pages[i].rows[::-1] if reverse else pages[i].rows for i in parent_ids]

    return DataLoader(load_fn=load)


PageKey = tuple[int, int, int, Hashable]  # parent id, limit, offset, extra filter


def _pages(
    model: type[Model],
    parent_column: str,
    order_by: Sequence[tuple[str, bool]],
    workspace_id: int,
    extra: Callable[[Hashable], dict[str, Any]] = lambda _: {},
) -> DataLoader[PageKey, ChildPage[Any]]:
    """Pages of children; keys asking for the same page shape share one windowed query."""

    async def load(keys: Sequence[PageKey]) -> list[ChildPage[Any]]:
        shapes: dict[tuple[int, int, Hashable], list[int]] = defaultdict(list)
        for parent_id, limit, offset, flt in keys:
            shapes[(limit, offset, flt)].append(parent_id)
        results: dict[PageKey, ChildPage[Any]] = {}
        for (limit, offset, flt), parent_ids in shapes.items():
            pages = await child_pages(
                model,
                parent_column=parent_column,
                parent_ids=list(dict.fromkeys(parent_ids)),
                order_by=order_by,
                workspace_id=workspace_id,
                limit=limit,
                offset=offset,
                equals=extra(flt),
            )
            for parent_id, page in pages.items():
                results[(parent_id, limit, offset, flt)] = page
        return [results[key] for key in keys]

    return DataLoader(load_fn=load)


def _status_filter(status: Hashable) -> dict[str, Any]:
    return {} if status is None else {"status": status}


class Loaders:
    """Named `XByYLoader`s, built once per request (per operation over WebSocket)."""

    def __init__(self, viewer: Viewer | None) -> None:
        ws = viewer.workspace_id if viewer else 0
        self.user_by_id = _by_id(User, ws)
        self.customer_by_id = _by_id(Customer, ws)
        self.contact_by_id = _by_id(Contact, ws)
        self.opportunity_by_id = _by_id(Opportunity, ws)
        self.pipeline_by_id = _by_id(Pipeline, ws)
        self.stage_by_id = _by_id(Stage, ws)
        self.product_by_id = _by_id(Product, ws)
        self.reminder_by_id = _by_id(Reminder, ws)
        self.activity_by_id = _by_id(Activity, ws)
        # Live stages only: removed ones are archived but still named by deals' history.
        self.stages_by_pipeline = _first_by(
            Stage, "pipeline_id", ws, POSITION_ORDER, MAX_STAGES, archived_at=None
        )
        self.checklist_by_stage = _first_by(
            ChecklistItem, "stage_id", ws, POSITION_ORDER, MAX_CHECKLIST_ITEMS
        )
        self.line_items_by_opportunity = _first_by(
            LineItem, "opportunity_id", ws, POSITION_ORDER, MAX_LINE_ITEMS
        )
        self.checklist_states_by_opportunity = _all_by(
            OpportunityChecklistState, "opportunity_id", ws
        )
        self.recent_stage_changes_by_opportunity = _first_by(
            StageChange,
            "opportunity_id",
            ws,
            STAGE_CHANGE_ORDER,
            RECENT_STAGE_CHANGES,
            reverse=True,
        )
        self.stage_changes_by_opportunity = _pages(
            StageChange, "opportunity_id", STAGE_CHANGE_ORDER, ws
        )
        # The reminder an activity scheduled (at most one; the newest if several).
        self.reminders_by_activity = _all_by(Reminder, "activity_id", ws, ("-id",))
        self.contacts_by_customer = _pages(Contact, "customer_id", CONTACT_ORDER, ws)
        self.activities_by_customer = _pages(Activity, "customer_id", ACTIVITY_ORDER, ws)
        self.activities_by_contact = _pages(Activity, "contact_id", ACTIVITY_ORDER, ws)
        self.activities_by_opportunity = _pages(Activity, "opportunity_id", ACTIVITY_ORDER, ws)
        self.opportunities_by_customer = _pages(
            Opportunity, "customer_id", OPPORTUNITY_ORDER, ws, _status_filter
        )
