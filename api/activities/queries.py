"""Reading reminders: a rep's own, or the team's for managers."""

from __future__ import annotations

import strawberry

from api.activities.filters import ReminderFilter, filter_reminders
from api.activities.types import Reminder
from api.context import Info
from api.core.errors import ClientError
from api.core.pagination import Connection, Ordering, paginate
from domain.activities import visible_reminders
from domain.errors import DomainError, ErrorCode


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
            everyone = filter is not None and filter.all_users
            query = await visible_reminders(viewer, everyone=everyone)
        except DomainError as error:
            # A query has no payload for user errors: the refusal is a top-level error.
            problem = error.problems[0]
            code = "FORBIDDEN" if problem.code == ErrorCode.FORBIDDEN else "NO_USER"
            raise ClientError(problem.message, code) from None
        query = await filter_reminders(viewer, query, filter)
        return await paginate(query, Ordering("due_at"), first=first, after=after)
