"""Reminder list filters, applied to the reminders the viewer may see."""

from __future__ import annotations

import strawberry
from tortoise.queryset import QuerySet

from api.activities.types import ReminderStatus
from api.core.scalars import ON_VIEWERS_CLOCK
from domain.local_time import LocalMoment, instant_for
from domain.viewer import Viewer
from models import Reminder


@strawberry.input
class ReminderFilter:
    status: ReminderStatus | None = None
    due_before: LocalMoment | None = strawberry.field(
        default=None, description=f"Reminders due at or before this instant. {ON_VIEWERS_CLOCK}"
    )
    all_users: bool = strawberry.field(
        default=False, description="Everyone's reminders, not only the viewer's (MANAGER or ADMIN)."
    )


async def filter_reminders(
    viewer: Viewer, visible: QuerySet[Reminder], flt: ReminderFilter | None
) -> QuerySet[Reminder]:
    """Those of the `visible` reminders that match every filter given."""
    if flt is None:
        return visible
    query = visible
    if flt.status is not None:
        query = query.filter(status=flt.status)
    if flt.due_before is not None:
        query = query.filter(due_at__lte=await instant_for(viewer, flt.due_before))
    return query
