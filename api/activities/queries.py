"""Reading reminders: a rep's own, or the team's for managers."""

from __future__ import annotations

import strawberry

from api.activities.types import Reminder, ReminderStatus
from api.context import Info
from api.core.errors import ClientError
from api.core.pagination import Connection, Ordering, paginate
from api.core.scalars import ON_VIEWERS_CLOCK
from domain.activities import visible_reminders
from domain.errors import DomainError, ErrorCode
from domain.local_time import LocalMoment, instant_for


@strawberry.input
class ReminderFilter:
    status: ReminderStatus | None = None
    due_before: LocalMoment | None = strawberry.field(
        default=None, description=f"Reminders due at or before this instant. {ON_VIEWERS_CLOCK}"
    )
    all_users: bool = strawberry.field(
        default=False, description="Everyone's reminders, not only the viewer's (MANAGER or ADMIN)."
    )


@strawberry.type
class ActivityQueries:
    @strawberry.field(
        description="The viewer's reminders unless a manager asks for all; soonest due first."
    )
    async def reminders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ReminderFilter | None = None,
    ) -> Connection[Reminder]:
        viewer = info.context.require_viewer()
        try:
            query = visible_reminders(viewer, everyone=filter is not None and filter.all_users)
        except DomainError as error:
            # A query has no payload for user errors: the refusal is a top-level error.
            problem = error.problems[0]
            code = "FORBIDDEN" if problem.code == ErrorCode.FORBIDDEN else "NO_USER"
            raise ClientError(problem.message, code) from None
        if filter is not None and filter.status is not None:
            query = query.filter(status=filter.status)
        if filter is not None and filter.due_before is not None:
            query = query.filter(due_at__lte=await instant_for(viewer, filter.due_before))
        return await paginate(query, Ordering("due_at"), first=first, after=after)
