"""What changed: a history row per changed field, and a tombstone per deleted record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import ChangedEntity, ChangeSource

if TYPE_CHECKING:
    from models.workspace import Workspace


class FieldChange(Model):
    """One field of one record changed: old and new value as JSON, who, when, through what.
    Plain ids, not foreign keys: history outlives the records and people it names."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="field_changes", on_delete=fields.CASCADE
    )
    workspace_id: int
    entity = fields.CharEnumField(ChangedEntity, max_length=16)
    entity_id = fields.BigIntField()
    # The customer the record belongs to (itself for a customer): its timeline and its
    # visibility.
    customer_id = fields.BigIntField(null=True)
    field = fields.CharField(max_length=100)
    old_value: fields.JSONField[Any] = fields.JSONField(null=True)
    new_value: fields.JSONField[Any] = fields.JSONField(null=True)
    source = fields.CharEnumField(ChangeSource, max_length=16)
    # The import job, transfer or merge it came through, when there is one.
    source_id = fields.BigIntField(null=True)
    user_id = fields.BigIntField(null=True)
    api_key_id = fields.BigIntField(null=True)
    changed_at = fields.DatetimeField()

    class Meta:
        table = "field_change"
        indexes = (
            Index(fields=("entity", "entity_id", "id")),
            Index(fields=("workspace_id", "customer_id", "changed_at", "id")),
        )


class Tombstone(Model):
    """A deleted record: what it was, and who deleted it when (the change feed reads these)."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="tombstones", on_delete=fields.CASCADE
    )
    workspace_id: int
    entity = fields.CharEnumField(ChangedEntity, max_length=16)
    entity_id = fields.BigIntField()
    customer_id = fields.BigIntField(null=True)
    source = fields.CharEnumField(ChangeSource, max_length=16)
    user_id = fields.BigIntField(null=True)
    api_key_id = fields.BigIntField(null=True)
    deleted_at = fields.DatetimeField()

    class Meta:
        table = "tombstone"
        indexes = (Index(fields=("workspace_id", "deleted_at", "id")),)
