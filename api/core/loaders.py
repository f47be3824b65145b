"""The kinds of per-request DataLoader: every nested read costs one SQL statement per level.

Each domain folder names its own loaders with these (`api/<domain>/loaders.py`) and
`api/loaders.py` gathers them for the request's context. Each loader is scoped to the
viewer's workspace, so a foreign key that points into another workspace (it cannot, but
if it did) would load nothing. A loader by id of what hangs from a customer also takes
the viewer's visibility (`Visible`, from `domain.visibility`), in the same statement: a
record reached by its id (`node`, an activity's `customer`, a reminder's `activity`) is
loaded only if the viewer sees it. Children loaded by their parent's id need none: every
parent is reached through such a loader or a filtered list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q
from tortoise.models import Model

from api.core.windows import ChildPage, child_pages
from domain.viewer import Viewer
from domain.visibility import customer_filter

Order = Sequence[tuple[str, bool]]  # (column, descending) pairs
PageKey = tuple[int, int, int, Hashable]  # parent id, limit, offset, extra filter


# The condition a loader's rows must meet as well, worked out when it first loads (the
# viewer's scope is computed once, then kept on the viewer).
Visible = Callable[[], Awaitable[Q]]


def seen_by(viewer: Viewer | None, prefix: str = "") -> Visible | None:
    """The customers `viewer` sees as a loader's condition (`prefix` "customer__" for what
    hangs from a customer); none without a viewer, whose workspace 0 holds nothing."""
    if viewer is None:
        return None
    return lambda: customer_filter(viewer, prefix)


Fetch = Callable[[Sequence[int], int, int, dict[str, Any]], Awaitable[dict[int, ChildPage[Any]]]]


def _windowed(model: type[Model], column: str, order: Order, workspace_id: int) -> Fetch:
    """The pages (parent ids, limit, offset, equal columns) of each parent, named once, in
    one windowed statement."""

    async def fetch(
        parent_ids: Sequence[int], limit: int, offset: int, equals: dict[str, Any]
    ) -> dict[int, ChildPage[Any]]:
        return await child_pages(
            model,
            parent_column=column,
            parent_ids=list(dict.fromkeys(parent_ids)),
            order_by=order,
            workspace_id=workspace_id,
            limit=limit,
            offset=offset,
            equals=equals,
        )

    return fetch


def by_id(
    model: type[Model], workspace_id: int, visible: Visible | None = None
) -> DataLoader[int, Any]:
    async def load(ids: Sequence[int]) -> list[Any]:
        query = model.filter(id__in=ids, workspace_id=workspace_id)
        if visible is not None:
            query = query.filter(await visible())
        found = {row.pk: row for row in await query}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def all_by(
    model: type[Model],
    column: str,
    workspace_id: int,
    order: Sequence[str] = ("id",),
    visible: Visible | None = None,
    **conditions: Any,
) -> DataLoader[int, list[Any]]:
    """Every child of each parent, for what resolvers use but never return as a list (a
    deal's checklist states, an activity's reminder); a list a client reads is `first_by`."""

    async def load(parent_ids: Sequence[int]) -> list[list[Any]]:
        grouped: dict[int, list[Any]] = defaultdict(list)
        query = model.filter(
            **{f"{column}__in": parent_ids}, workspace_id=workspace_id, **conditions
        )
        if visible is not None:
            query = query.filter(await visible())
        rows = await query.order_by(*order)
        for row in rows:
            grouped[getattr(row, column)].append(row)
        return [grouped.get(i, []) for i in parent_ids]

    return DataLoader(load_fn=load)


def first_by(
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
    fetch = _windowed(
        model, column, [(name, descending != reverse) for name, descending in order], workspace_id
    )

    async def load(parent_ids: Sequence[int]) -> list[list[Any]]:
        pages = await fetch(parent_ids, most, 0, equals)
        return [pages[i].rows[::-1] if reverse else pages[i].rows for i in parent_ids]

    return DataLoader(load_fn=load)


def pages_by(
    model: type[Model],
    parent_column: str,
    order_by: Order,
    workspace_id: int,
    extra: Callable[[Hashable], dict[str, Any]] = lambda _: {},
) -> DataLoader[PageKey, ChildPage[Any]]:
    """Pages of children; keys asking for the same page shape share one windowed query."""
    fetch = _windowed(model, parent_column, order_by, workspace_id)

    async def load(keys: Sequence[PageKey]) -> list[ChildPage[Any]]:
        shapes: dict[tuple[int, int, Hashable], list[int]] = defaultdict(list)
        for parent_id, limit, offset, flt in keys:
            shapes[(limit, offset, flt)].append(parent_id)
        results: dict[PageKey, ChildPage[Any]] = {}
        for (limit, offset, flt), parent_ids in shapes.items():
            pages = await fetch(parent_ids, limit, offset, extra(flt))
            for parent_id, page in pages.items():
                results[(parent_id, limit, offset, flt)] = page
        return [results[key] for key in keys]

    return DataLoader(load_fn=load)
