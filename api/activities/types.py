"""Activities (calls, visits, meetings…) and the reminders they schedule."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.accounts.types import User
from api.context import Info
from api.core.errors import UserError, errors_field
from api.core.node import Node, node_by_loader
from api.core.types import model_is_type_of
from api.customers.types import Contact, Customer
from models import Activity as ActivityModel
from models import Reminder as ReminderModel
from models.enums import ActivityKind as ActivityKindEnum
from models.enums import ReminderKind as ReminderKindEnum
from models.enums import ReminderStatus as ReminderStatusEnum

if TYPE_CHECKING:
    from api.sales.types import Opportunity

# The domain's enums are the GraphQL enums: `strawberry.enum` registers the GraphQL
# name on the class itself, and the alias keeps it a type for the type checker.
ActivityKind = ActivityKindEnum
strawberry.enum(ActivityKind, name="ActivityKind")
ReminderStatus = ReminderStatusEnum
strawberry.enum(ReminderStatus, name="ReminderStatus")
ReminderKind = ReminderKindEnum
strawberry.enum(
    ReminderKind,
    name="ReminderKind",
    description="FOLLOW_UP: an activity's next follow-up; POOL_WARNING: the customer returns "
    "to the pool (公海) soon unless it is followed up.",
)
OpportunityType = Annotated["Opportunity", strawberry.lazy("api.sales.types")]


@strawberry.type(
    description="One contact with a customer: who, when, what was said, and when to follow up."
)
class Activity(Node):
    kind: ActivityKind
    occurred_at: datetime
    content: str = strawberry.field(
        description="What was discussed and how the customer responded."
    )
    next_follow_up_at: datetime | None
    external_id: str | None = strawberry.field(
        description="An integrator's id for the activity, unique in the workspace (imports)."
    )
    created_at: datetime
    is_type_of = model_is_type_of(ActivityModel)
    load_node = node_by_loader(lambda loaders: loaders.activity_by_id)

    @strawberry.field
    @staticmethod
    async def customer(parent: strawberry.Parent[ActivityModel], info: Info) -> Customer:
        return await info.context.loaders.customer_by_id.load(parent.customer_id)

    @strawberry.field
    @staticmethod
    async def contact(parent: strawberry.Parent[ActivityModel], info: Info) -> Contact | None:
        contact_id = parent.contact_id
        return (
            None
            if contact_id is None
            else await info.context.loaders.contact_by_id.load(contact_id)
        )

    @strawberry.field
    @staticmethod
    async def opportunity(
        parent: strawberry.Parent[ActivityModel], info: Info
    ) -> OpportunityType | None:
        opportunity_id = parent.opportunity_id
        if opportunity_id is None:
            return None
        return await info.context.loaders.opportunity_by_id.load(opportunity_id)

    @strawberry.field
    @staticmethod
    async def author(parent: strawberry.Parent[ActivityModel], info: Info) -> User | None:
        author_id = parent.author_id
        return None if author_id is None else await info.context.loaders.user_by_id.load(author_id)

    @strawberry.field(description="The follow-up reminder this activity scheduled, if any.")
    @staticmethod
    async def reminder(parent: strawberry.Parent[ActivityModel], info: Info) -> Reminder | None:
        if parent.next_follow_up_at is None:
            return None
        reminders = await info.context.loaders.reminders_by_activity.load(parent.pk)
        return reminders[0] if reminders else None


@strawberry.type
class Reminder(Node):
    due_at: datetime
    kind: ReminderKind
    status: ReminderStatus
    note: str | None
    sent_at: datetime | None
    is_type_of = model_is_type_of(ReminderModel)
    # Those the viewer sees (`domain.activities.reminder_filter`; a REP: their own).
    load_node = node_by_loader(lambda loaders: loaders.reminder_by_id)

    @strawberry.field(description="The salesperson to remind.")
    @staticmethod
    async def user(parent: strawberry.Parent[ReminderModel], info: Info) -> User:
        return await info.context.loaders.user_by_id.load(parent.user_id)

    @strawberry.field
    @staticmethod
    async def customer(parent: strawberry.Parent[ReminderModel], info: Info) -> Customer:
        return await info.context.loaders.customer_by_id.load(parent.customer_id)

    @strawberry.field
    @staticmethod
    async def activity(parent: strawberry.Parent[ReminderModel], info: Info) -> Activity | None:
        activity_id = parent.activity_id
        return (
            None
            if activity_id is None
            else await info.context.loaders.activity_by_id.load(activity_id)
        )


@strawberry.type
class ActivityPayload:
    activity: Activity | None
    errors: list[UserError] = errors_field()


@strawberry.type
class ReminderPayload:
    reminder: Reminder | None
    errors: list[UserError] = errors_field()
