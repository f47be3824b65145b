"""The opportunity aggregate: a deal, its quoted lines, checklist state and stage history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import OpportunityStatus

if TYPE_CHECKING:
    from models.customer import Customer
    from models.product import Product
    from models.sales import ChecklistItem, Pipeline, Stage
    from models.workspace import User, Workspace


class Opportunity(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="opportunities", on_delete=fields.CASCADE
    )
    workspace_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="opportunities", on_delete=fields.CASCADE
    )
    customer_id: int
    pipeline: fields.ForeignKeyRelation[Pipeline] = fields.ForeignKeyField(
        "models.Pipeline", related_name="opportunities", on_delete=fields.RESTRICT
    )
    pipeline_id: int
    stage: fields.ForeignKeyRelation[Stage] = fields.ForeignKeyField(
        "models.Stage", related_name="opportunities", on_delete=fields.RESTRICT
    )
    stage_id: int
    name = fields.CharField(max_length=200)
    status = fields.CharEnumField(OpportunityStatus, max_length=8, default=OpportunityStatus.OPEN)
    amount = fields.DecimalField(max_digits=18, decimal_places=2, default=0)
    currency = fields.CharField(max_length=3)
    # Null: the stage's probability applies.
    probability_override = fields.IntField(null=True)
    expected_close_date = fields.DateField(null=True)
    closed_at = fields.DatetimeField(null=True)
    lost_reason = fields.TextField(null=True)
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="opportunities", null=True, on_delete=fields.SET_NULL
    )
    owner_id: int | None
    custom_fields: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    stage_entered_at = fields.DatetimeField(null=True)
    # The last activity logged on the deal: with the stage change, what "idle" is measured from.
    last_activity_at = fields.DatetimeField(null=True)
    # An integrator's id for the deal (a CRM's or ERP's): re-imports match on it.
    external_id = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "opportunity"
        unique_together = (("workspace", "external_id"),)
        indexes = (
            Index(fields=("workspace_id", "updated_at", "id")),
            Index(fields=("workspace_id", "pipeline_id", "stage_id")),
            Index(fields=("workspace_id", "status")),
            Index(fields=("workspace_id", "owner_id")),
            Index(fields=("workspace_id", "expected_close_date")),
            Index(fields=("customer_id", "id")),
        )


class LineItem(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="line_items", on_delete=fields.CASCADE
    )
    workspace_id: int
    opportunity: fields.ForeignKeyRelation[Opportunity] = fields.ForeignKeyField(
        "models.Opportunity", related_name="line_items", on_delete=fields.CASCADE
    )
    opportunity_id: int
    product: fields.ForeignKeyNullableRelation[Product] = fields.ForeignKeyField(
        "models.Product", related_name="line_items", null=True, on_delete=fields.SET_NULL
    )
    product_id: int | None
    name = fields.CharField(max_length=200)
    quantity = fields.DecimalField(max_digits=16, decimal_places=4)
    unit_price = fields.DecimalField(max_digits=16, decimal_places=2)
    discount = fields.DecimalField(max_digits=5, decimal_places=2, default=0)
    total = fields.DecimalField(max_digits=18, decimal_places=2)
    position = fields.IntField(default=0)

    class Meta:
        table = "line_item"
        indexes = (Index(fields=("opportunity_id", "position")),)


class OpportunityChecklistState(Model):
    """Whether one checklist item of a stage is done for one opportunity."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="checklist_states", on_delete=fields.CASCADE
    )
    workspace_id: int
    opportunity: fields.ForeignKeyRelation[Opportunity] = fields.ForeignKeyField(
        "models.Opportunity", related_name="checklist_states", on_delete=fields.CASCADE
    )
    opportunity_id: int
    item: fields.ForeignKeyRelation[ChecklistItem] = fields.ForeignKeyField(
        "models.ChecklistItem", related_name="states", on_delete=fields.CASCADE
    )
    item_id: int
    done = fields.BooleanField(default=False)
    done_at = fields.DatetimeField(null=True)
    done_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="checked_items", null=True, on_delete=fields.SET_NULL
    )
    done_by_id: int | None

    class Meta:
        table = "opportunity_checklist_state"
        unique_together = (("opportunity", "item"),)


class StageChange(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="stage_changes", on_delete=fields.CASCADE
    )
    workspace_id: int
    opportunity: fields.ForeignKeyRelation[Opportunity] = fields.ForeignKeyField(
        "models.Opportunity", related_name="stage_changes", on_delete=fields.CASCADE
    )
    opportunity_id: int
    from_stage: fields.ForeignKeyNullableRelation[Stage] = fields.ForeignKeyField(
        "models.Stage", related_name="changes_from", null=True, on_delete=fields.SET_NULL
    )
    from_stage_id: int | None
    to_stage: fields.ForeignKeyRelation[Stage] = fields.ForeignKeyField(
        "models.Stage", related_name="changes_to", on_delete=fields.CASCADE
    )
    to_stage_id: int
    changed_at = fields.DatetimeField()
    changed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="stage_changes", null=True, on_delete=fields.SET_NULL
    )
    changed_by_id: int | None

    class Meta:
        table = "stage_change"
        indexes = (Index(fields=("opportunity_id", "changed_at")),)
