"""The history loaders: a record's field changes, a customer's timeline, the API keys that
made changes."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from api.core.loaders import PageKey, by_id, pages_by
from api.core.pagination import Connection, child_connection
from api.core.windows import ChildPage
from api.history.timeline import load_timelines
from models import ApiKey, FieldChange
from models.enums import ChangedEntity

# Newest first.
HISTORY_ORDER = (("changed_at", True), ("id", True))


def _of_entity(entity: Hashable) -> dict[str, Any]:
    return {"entity": entity}


class HistoryLoaders:
    def __init__(self, workspace_id: int) -> None:
        ws = workspace_id
        # Keyed by the record's id, the entity (CUSTOMER, OPPORTUNITY) as the page's filter.
        self.history_by_record = pages_by(FieldChange, "entity_id", HISTORY_ORDER, ws, _of_entity)
        self.api_key_by_id = by_id(ApiKey, ws)

        async def timelines(keys: Sequence[PageKey]) -> list[ChildPage[Any]]:
            return await load_timelines(ws, keys)

        self.timeline_by_customer: DataLoader[PageKey, ChildPage[Any]] = DataLoader(
            load_fn=timelines
        )


async def record_history(
    loaders: HistoryLoaders,
    entity: ChangedEntity,
    record_id: int,
    first: int | None,
    after: str | None,
) -> Connection[Any]:
    """The `history` connection of a customer or deal: its own field changes, newest first."""
    return await child_connection(loaders.history_by_record, record_id, first, after, entity.value)
