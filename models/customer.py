"""The customer aggregate: a customer (company or person) and its contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import CustomerKind

if TYPE_CHECKING:
    from models.pool import CustomerPool
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
    # A customer without an owner is in a pool (公海): this one, or the workspace's default
    # pool when NULL. Whoever may see the pool may claim it.
    pool: fields.ForeignKeyNullableRelation[CustomerPool] = fields.ForeignKeyField(
        "models.CustomerPool", related_name="customers", null=True, on_delete=fields.SET_NULL
    )
    pool_id: int | None
    # Since when the present owner holds it (claims, transfers, creation): pool rules count
    # idle days from the later of this and the last activity.
    owned_since = fields.DatetimeField(null=True)
    # The owner locked it against pool returns (at most a pool's `max_locks_per_rep`).
    locked_at = fields.DatetimeField(null=True)
    # Who held it last before it went to the pool, and when: the claim cooldown.
    previous_owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="released_customers", null=True, on_delete=fields.SET_NULL
    )
    previous_owner_id: int | None
    pooled_at = fields.DatetimeField(null=True)
    # The day the pool's warning went to the owner for the return now pending: the nightly
    # job warns once, and returns only after the warning's notice has run.
    pool_warned_at = fields.DatetimeField(null=True)
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


class CustomerShare(Model):
    """A customer shared with a colleague, who then sees it (and what hangs from it) too."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="customer_shares", on_delete=fields.CASCADE
    )
    workspace_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="shares", on_delete=fields.CASCADE
    )
    customer_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="shared_customers", on_delete=fields.CASCADE
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "customer_share"
        unique_together = (("customer", "user"),)
        indexes = (Index(fields=("user_id", "customer_id")),)
