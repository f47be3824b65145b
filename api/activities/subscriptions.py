"""Reminders pushed over WebSocket (graphql-transport-ws) as they come due."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry

from api.activities.due_reminders import watch_due_reminders
from api.activities.types import Reminder
from api.context import Info
from api.core.errors import ClientError, unauthenticated
from domain.accounts import TokenRefused
from domain.sessions import still_acting
from models import Reminder as ReminderModel


@strawberry.type
class ActivitySubscriptions:
    @strawberry.subscription(
        description="The viewer's reminders, each once, as they come due.", graphql_type=Reminder
    )
    async def reminder_due(self, info: Info) -> AsyncGenerator[ReminderModel, None]:
        viewer = info.context.require_viewer()
        if viewer.user_id is None:
            raise ClientError(
                "A key acting as the workspace has no reminders of its own.", "NO_USER"
            )
        listener = info.context.request.app.state.reminder_listener
        # aclosing: when the client goes away the listener lets go of it now, not whenever
        # the garbage collector finalizes the generator.
        async with aclosing(watch_due_reminders(listener, viewer)) as due:
            async for reminder in due:
                if not await still_acting(viewer):
                    raise unauthenticated(TokenRefused.REVOKED)
                # Fresh loaders for each reminder: the subscription may outlive any cache
                # (a customer renamed since the last one).
                info.context.set_viewer(viewer)
                yield reminder
