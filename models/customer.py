"""The customer aggregate: a customer (company or person) and its contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import CustomerKind

if TYPE_CHECKING:
    from models.workspace import User, Workspace


class Customer(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="customers", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(CustomerKind, max_length=16, default=CustomerKind.COMPANY)
    phone = fields.CharField(max_length=40, null=True)
    # Digits only, country code stripped: what matching and phone search compare.
    phone_normalized = fields.CharField(max_length=32, null=True)
    email = fields.CharField(max_length=254, null=True)
    website = fields.CharField(max_length=500, null=True)
    industry = fields.CharField(max_length=100, null=True)
    lead_source = fields.CharField(max_length=100, null=True)
    tags: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # The tags again as "\ntag\n…": a portable exact-tag filter (LIKE) on both databases.
    tags_index = fields.TextField(default="")
    external_id = fields.CharField(max_length=200, null=True)
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="owned_customers", null=True, on_delete=fields.SET_NULL
    )
    owner_id: int | None
    custom_fields: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    score = fields.FloatField(null=True)
    score_breakdown: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    scored_at = fields.DatetimeField(null=True)
    last_activity_at = fields.DatetimeField(null=True)
    next_follow_up_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    contacts: fields.ReverseRelation[Contact]

    class Meta:
        table = "customer"
        unique_together = (("workspace", "external_id"),)
        # One index per filter and ordering the API offers, each led by the tenant.
        indexes = (
            Index(fields=("workspace_id", "name", "id")),
            Index(fields=("workspace_id", "created_at", "id")),
            Index(fields=("workspace_id", "updated_at", "id")),
            Index(fields=("workspace_id", "score", "id")),
            Index(fields=("workspace_id", "last_activity_at", "id")),
            Index(fields=("workspace_id", "next_follow_up_at", "id")),
            Index(fields=("workspace_id", "owner_id", "id")),
            Index(fields=("workspace_id", "lead_source")),
            # Matching (imports, duplicates) looks records up by these within a workspace.
            Index(fields=("workspace_id", "phone_normalized")),
            Index(fields=("workspace_id", "email")),
        )


class Contact(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="contacts", on_delete=fields.CASCADE
    )
    workspace_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="contacts", on_delete=fields.CASCADE
    )
    customer_id: int
    name = fields.CharField(max_length=200)
    title = fields.CharField(max_length=200, null=True)
    phone = fields.CharField(max_length=40, null=True)
    phone_normalized = fields.CharField(max_length=32, null=True)
    email = fields.CharField(max_length=254, null=True)
    is_primary = fields.BooleanField(default=False)
    notes = fields.TextField(null=True)
    # db_default: rows from before custom fields existed get {} when the column is added.
    custom_fields: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict, db_default="{}"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "contact"
        indexes = (
            Index(fields=("customer_id", "is_primary", "id")),
            Index(fields=("workspace_id", "phone_normalized")),
            Index(fields=("workspace_id", "email")),
        )
