"""The sales-process aggregate: pipelines, their stages and each stage's checklist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import StageKind

if TYPE_CHECKING:
    from models.workspace import Workspace


class Pipeline(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="pipelines", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=200)
    is_default = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pipeline"


class Stage(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="stages", on_delete=fields.CASCADE
    )
    workspace_id: int
    pipeline: fields.ForeignKeyRelation[Pipeline] = fields.ForeignKeyField(
        "models.Pipeline", related_name="stages", on_delete=fields.CASCADE
    )
    pipeline_id: int
    name = fields.CharField(max_length=200)
    position = fields.IntField()
    probability = fields.IntField()
    kind = fields.CharEnumField(StageKind, max_length=8, default=StageKind.OPEN)
    # Idle days after which an opportunity in this stage is "rotting"; null: never.
    rotting_days = fields.IntField(null=True)
    # A removed stage is archived, not deleted: the stage history of deals still points at it.
    archived_at = fields.DatetimeField(null=True)

    class Meta:
        table = "stage"
        indexes = (Index(fields=("pipeline_id", "position")),)


class ChecklistItem(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="checklist_items", on_delete=fields.CASCADE
    )
    workspace_id: int
    stage: fields.ForeignKeyRelation[Stage] = fields.ForeignKeyField(
        "models.Stage", related_name="checklist", on_delete=fields.CASCADE
    )
    stage_id: int
    title = fields.CharField(max_length=300)
    required = fields.BooleanField(default=False)
    position = fields.IntField(default=0)

    class Meta:
        table = "checklist_item"
        indexes = (Index(fields=("stage_id", "position")),)
