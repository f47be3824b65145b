"""Logging activities and acting on reminders."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.activities.types import ActivityKind, ActivityPayload, ReminderPayload
from api.context import Info
from api.core.ids import decode_id, decode_optional_id
from api.core.mutations import respond
from api.core.scalars import ON_VIEWERS_CLOCK
from domain import activities
from domain.activities import ActivityData
from domain.local_time import LocalMoment


@strawberry.input
class ActivityInput:
    customer_id: strawberry.ID
    contact_id: strawberry.ID | None = None
    opportunity_id: strawberry.ID | None = None
    kind: ActivityKind
    occurred_at: LocalMoment | None = strawberry.field(
        default=None, description=f"Defaults to now. {ON_VIEWERS_CLOCK}"
    )
    content: str
    next_follow_up_at: LocalMoment | None = strawberry.field(
        default=None,
        description="When set, a reminder for the author is scheduled at that time. "
        + ON_VIEWERS_CLOCK,
    )

    def to_data(self) -> ActivityData:
        return ActivityData(
            customer_id=decode_id(self.customer_id, "Customer", "input.customerId"),
            contact_id=decode_optional_id(self.contact_id, "Contact", "input.contactId"),
            opportunity_id=decode_optional_id(
                self.opportunity_id, "Opportunity", "input.opportunityId"
            ),
            kind=self.kind,
            occurred_at=self.occurred_at,
            content=self.content,
            next_follow_up_at=self.next_follow_up_at,
        )


@strawberry.type
class ActivityMutations:
    @strawberry.mutation(
        description="Records an activity; with nextFollowUpAt it schedules the author's reminder "
        "and cancels their earlier pending follow-up for the customer."
    )
    async def log_activity(self, info: Info, input: ActivityInput) -> ActivityPayload:
        viewer = info.context.require_viewer()
        return await respond(
            ActivityPayload, "activity", lambda: activities.log_activity(viewer, input.to_data())
        )

    @strawberry.mutation
    async def dismiss_reminder(self, info: Info, id: strawberry.ID) -> ReminderPayload:
        viewer = info.context.require_viewer()
        return await respond(
            ReminderPayload,
            "reminder",
            lambda: activities.dismiss_reminder(viewer, decode_id(id, "Reminder", "id")),
        )

    @strawberry.mutation
    async def snooze_reminder(
        self,
        info: Info,
        id: strawberry.ID,
        until: Annotated[LocalMoment, strawberry.argument(description=ON_VIEWERS_CLOCK)],
    ) -> ReminderPayload:
        viewer = info.context.require_viewer()
        return await respond(
            ReminderPayload,
            "reminder",
            lambda: activities.snooze_reminder(viewer, decode_id(id, "Reminder", "id"), until),
        )
