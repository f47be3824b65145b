"""The follow-up aggregate: activities logged with customers and the reminders they schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import ActivityKind, ReminderKind, ReminderStatus

if TYPE_CHECKING:
    from models.customer import Contact, Customer
    from models.opportunity import Opportunity
    from models.workspace import User, Workspace


class Activity(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="activities", on_delete=fields.CASCADE
    )
    workspace_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="activities", on_delete=fields.CASCADE
    )
    customer_id: int
    contact: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="activities", null=True, on_delete=fields.SET_NULL
    )
    contact_id: int | None
    opportunity: fields.ForeignKeyNullableRelation[Opportunity] = fields.ForeignKeyField(
        "models.Opportunity", related_name="activities", null=True, on_delete=fields.SET_NULL
    )
    opportunity_id: int | None
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="activities", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None
    kind = fields.CharEnumField(ActivityKind, max_length=16)
    occurred_at = fields.DatetimeField()
    content = fields.TextField()
    next_follow_up_at = fields.DatetimeField(null=True)
    # An integrator's id for the activity (a call log's, an ERP's): re-imports match on it.
    external_id = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "activity"
        unique_together = (("workspace", "external_id"),)
        # "Newest first" per parent: each child connection walks one of these.
        indexes = (
            Index(fields=("customer_id", "occurred_at", "id")),
            Index(fields=("contact_id", "occurred_at", "id")),
            Index(fields=("opportunity_id", "occurred_at", "id")),
        )


class Reminder(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="reminders", on_delete=fields.CASCADE
    )
    workspace_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="reminders", on_delete=fields.CASCADE
    )
    user_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="reminders", on_delete=fields.CASCADE
    )
    customer_id: int
    activity: fields.ForeignKeyNullableRelation[Activity] = fields.ForeignKeyField(
        "models.Activity", related_name="reminders", null=True, on_delete=fields.SET_NULL
    )
    activity_id: int | None
    kind = fields.CharEnumField(
        ReminderKind, max_length=16, default=ReminderKind.FOLLOW_UP, db_default="FOLLOW_UP"
    )
    due_at = fields.DatetimeField()
    status = fields.CharEnumField(ReminderStatus, max_length=16, default=ReminderStatus.PENDING)
    note = fields.TextField(null=True)
    sent_at = fields.DatetimeField(null=True)
    # When the dispatcher announced this sending on Redis (reminderDue); NULL while a SENT
    # reminder's announcement is still owed, so a failed one is made again (an outbox).
    announced_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "reminder"
        indexes = (
            # The dispatcher's scan: due pending reminders, oldest first.
            Index(fields=("status", "due_at")),
            # … and the sent ones whose announcement is owed.
            Index(fields=("status", "announced_at", "sent_at")),
            Index(fields=("workspace_id", "user_id", "status", "due_at")),
            Index(fields=("customer_id", "user_id", "status")),
            Index(fields=("activity_id",)),
        )
