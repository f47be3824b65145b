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
from tortoise.models import Model

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
CUSTOM_FIELDS = "customFields"


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
    for field, value in after.items():
        if before.get(field) == value:
            continue  # equal as stored: an amount of 100.00 given as 100 is no change
        old = as_json(before.get(field))
        new = as_json(value)
        if old != new:
            changes.append(Change(entity, entity_id, customer_id, field, old, new))
    return changes


# What history keeps of each record: model attribute → the field a history entry names (as
# the API names it; a reference by what it refers to: `owner`, `stage`, values are ids).
# Columns derived from others (phone_normalized, tags_index, closed_at follows the stage,
# scores, activity stamps, updated_at) are not history: their cause is.
TRACKED: dict[ChangedEntity, dict[str, str]] = {
    ChangedEntity.CUSTOMER: {
        "name": "name",
        "kind": "kind",
        "phone": "phone",
        "email": "email",
        "website": "website",
        "industry": "industry",
        "lead_source": "leadSource",
        "tags": "tags",
        "external_id": "externalId",
        "owner_id": "owner",
        "custom_fields": CUSTOM_FIELDS,
    },
    ChangedEntity.CONTACT: {
        "name": "name",
        "title": "title",
        "phone": "phone",
        "email": "email",
        "is_primary": "isPrimary",
        "notes": "notes",
        "custom_fields": CUSTOM_FIELDS,
    },
    ChangedEntity.OPPORTUNITY: {
        "name": "name",
        "stage_id": "stage",
        "status": "status",
        "amount": "amount",
        "currency": "currency",
        "probability_override": "probability",
        "expected_close_date": "expectedCloseDate",
        "lost_reason": "lostReason",
        "owner_id": "owner",
        "external_id": "externalId",
        "custom_fields": CUSTOM_FIELDS,
    },
}


def _named(entity: ChangedEntity, values: Mapping[str, Any]) -> dict[str, Any]:
    """The tracked attributes among `values`, by history's names; custom fields one entry per
    key (`customFields.size`), so a reader sees which one changed."""
    named: dict[str, Any] = {}
    for attribute, field in TRACKED[entity].items():
        if attribute not in values:
            continue
        if field == CUSTOM_FIELDS:
            for key, value in (values[attribute] or {}).items():
                named[f"{CUSTOM_FIELDS}.{key}"] = value
        else:
            named[field] = values[attribute]
    return named


def values_of(entity: ChangedEntity, record: Model) -> dict[str, Any]:
    """The record's tracked attributes, as `changes_of` takes them for `before`."""
    return {attribute: getattr(record, attribute) for attribute in TRACKED[entity]}


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def changes_of(
    entity: ChangedEntity,
    entity_id: int,
    customer_id: int | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
) -> list[Change]:
    """`diff` of model attributes: `after` holds the attributes a write sets (an update's
    changes, or all of a new record's), `before` the record's values (`values_of`) or None
    for a record just created, which records its non-empty fields as set from nothing (a
    timeline reader sees what the record began with, not a bare "created")."""
    new = _named(entity, after)
    if before is None:
        return diff(
            entity, entity_id, customer_id, {}, {f: v for f, v in new.items() if not _empty(v)}
        )
    old = _named(entity, before)
    if "custom_fields" in after:
        # A key the write removed is a change to nothing.
        prefix = f"{CUSTOM_FIELDS}."
        new.update({f: None for f in old if f.startswith(prefix) and f not in new})
    return diff(entity, entity_id, customer_id, old, new)


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
        {
            "workspace_id": viewer.workspace_id,
            "entity": entity,
            "entity_id": entity_id,
            "customer_id": customer_id,
            "source": through.source,
            "user_id": viewer.user_id,
            "api_key_id": viewer.api_key_id,
            "deleted_at": at,
        }
        for entity, entity_id, customer_id in deleted
    ]
    await insert_rows(Tombstone._meta.db, Tombstone, rows, at)
