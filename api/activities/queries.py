"""Reading reminders: a rep's own, or the team's for managers."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.activities.types import Reminder, ReminderStatus
from api.context import Info
from api.core.errors import ClientError
from api.core.pagination import Connection, Ordering, paginate
from domain.activities import as_utc
from models import Reminder as ReminderModel


@strawberry.input
class ReminderFilter:
    status: ReminderStatus | None = None
    due_before: datetime | None = None
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
        query = ReminderModel.filter(workspace_id=viewer.workspace_id)
        everyone = filter is not None and filter.all_users
        if everyone and not viewer.sees_everyone:
            raise ClientError("Only a MANAGER or ADMIN may see everyone's reminders.", "FORBIDDEN")
        if not everyone:
            if viewer.user_id is None:
                raise ClientError(
                    "An API key has no reminders of its own; ask for allUsers.", "NO_USER"
                )
            query = query.filter(user_id=viewer.user_id)
        if filter is not None and filter.status is not None:
            query = query.filter(status=filter.status)
        if filter is not None and filter.due_before is not None:
            query = query.filter(due_at__lte=as_utc(filter.due_before))
        return await paginate(query, Ordering("due_at"), first=first, after=after)
