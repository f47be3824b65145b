"""Logging activities and acting on reminders."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.activities.inputs import ActivityInput
from api.activities.types import ActivityPayload, ReminderPayload
from api.context import Info
from api.core.ids import decode_id
from api.core.mutations import perform
from api.core.scalars import ON_VIEWERS_CLOCK
from domain import activities
from domain.local_time import LocalMoment


@strawberry.type
class ActivityMutations:
    @strawberry.mutation(
        description="Records an activity; with nextFollowUpAt it schedules the author's reminder "
        "and cancels their earlier pending follow-up for the customer."
    )
    async def log_activity(self, info: Info, input: ActivityInput) -> ActivityPayload:
        return await perform(
            info, ActivityPayload, lambda viewer: activities.log_activity(viewer, input.to_data())
        )

    @strawberry.mutation
    async def dismiss_reminder(self, info: Info, id: strawberry.ID) -> ReminderPayload:
        return await perform(
            info,
            ReminderPayload,
            lambda viewer: activities.dismiss_reminder(viewer, decode_id(id, "Reminder", "id")),
        )

    @strawberry.mutation
    async def snooze_reminder(
        self,
        info: Info,
        id: strawberry.ID,
        until: Annotated[LocalMoment, strawberry.argument(description=ON_VIEWERS_CLOCK)],
    ) -> ReminderPayload:
        return await perform(
            info,
            ReminderPayload,
            lambda viewer: activities.snooze_reminder(
                viewer, decode_id(id, "Reminder", "id"), until
            ),
        )
