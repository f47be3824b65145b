"""What changed, by whom, through what: a history row per changed field, a tombstone per
deleted record, written in the caller's transaction in one statement per batch.

Every write path (a mutation with one record, an import chunk with a thousand, a pool rule,
a transfer, a merge) diffs what it read against what it writes (`diff`) and hands the
changes here with where they came from (`Through`): history is written where the change is,
never reconstructed after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

from domain.bulk_sql import insert_rows
from domain.viewer import Viewer
from models import FieldChange, Tombstone
from models.enums import ChangedEntity, ChangeSource


@dataclass(frozen=True)
class Through:
    """The door a change came through, and the job, transfer or merge behind it."""

    source: ChangeSource
    source_id: int | None = None


VIA_API = Through(ChangeSource.API)


@dataclass(frozen=True)
class Change:
    entity: ChangedEntity
    entity_id: int
    # The customer the record belongs to (itself for a customer).
    customer_id: int | None
    field: str
    old: Any
    new: Any


def as_json(value: Any) -> Any:
    """A stored value as history keeps it: JSON, readable by a client as is."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return value


def diff(
    entity: ChangedEntity,
    entity_id: int,
    customer_id: int | None,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> list[Change]:
    """A change per field of `after` whose value differs from `before`'s (a field missing
    from `before` was empty: a created record's fields are changes from nothing)."""
    changes = []
    for field, new in after.items():
        old = as_json(before.get(field))
        new = as_json(new)
        if old != new:
            changes.append(Change(entity, entity_id, customer_id, field, old, new))
    return changes


async def record_changes(
    viewer: Viewer, through: Through, changes: Iterable[Change], *, at: datetime
) -> None:
    """Writes the changes (one INSERT for all of them, COPY on PostgreSQL), stamped `at`:
    the instant of the write they record, the same for every row of one write. Plain rows
    through `domain/bulk_sql.py`, not a model object each: a pool night or a transfer
    writes thousands."""
    rows = [
        {
            "workspace_id": viewer.workspace_id,
            "entity": change.entity,
            "entity_id": change.entity_id,
            "customer_id": change.customer_id,
            "field": change.field,
            "old_value": _json_text(change.old),
            "new_value": _json_text(change.new),
            "source": through.source,
            "source_id": through.source_id,
            "user_id": viewer.user_id,
            "api_key_id": viewer.api_key_id,
            "changed_at": at,
        }
        for change in changes
    ]
    await insert_rows(FieldChange._meta.db, FieldChange, rows, at)


def _json_text(value: Any) -> str | None:
    """A value as JSON text: the bulk writer (like Tortoise's JSONField) takes a str for
    JSON already written, so a text value ("no budget") goes in encoded."""
    value = as_json(value)
    return None if value is None else orjson.dumps(value).decode()


async def record_deletions(
    viewer: Viewer,
    through: Through,
    deleted: Iterable[tuple[ChangedEntity, int, int | None]],
    *,
    at: datetime,
) -> None:
    """Leaves a tombstone per deleted (entity, id, customer id), in one INSERT."""
    rows = [
        Tombstone(
            workspace_id=viewer.workspace_id,
            entity=entity,
            entity_id=entity_id,
            customer_id=customer_id,
            source=through.source,
            user_id=viewer.user_id,
            api_key_id=viewer.api_key_id,
            deleted_at=at,
        )
        for entity, entity_id, customer_id in deleted
    ]
    if rows:
        await Tombstone.bulk_create(rows)
