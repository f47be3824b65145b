"""Custom fields: what a workspace's admins add to customers, contacts and opportunities."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import CustomFieldEntity, CustomFieldType

if TYPE_CHECKING:
    from models.workspace import Workspace


class CustomFieldDefinition(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="custom_fields", on_delete=fields.CASCADE
    )
    workspace_id: int
    entity = fields.CharEnumField(CustomFieldEntity, max_length=16)
    # The key under which values live in the records' `custom_fields` JSON.
    key = fields.CharField(max_length=50)
    label = fields.CharField(max_length=200)
    type = fields.CharEnumField(CustomFieldType, max_length=16)
    # The allowed values of SELECT and MULTI_SELECT fields, in display order.
    options: fields.JSONField[list[str]] = fields.JSONField(default=list)
    required = fields.BooleanField(default=False)
    position = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "custom_field_definition"
        unique_together = (("workspace", "entity", "key"),)
