"""Following an import over WebSocket (graphql-transport-ws)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry

from api.context import Info
from api.core.errors import unauthenticated
from api.core.ids import decode_id
from api.imports.progress import job_not_found, watch_import_job
from api.imports.types import ImportJob
from domain.accounts import TokenRefused
from domain.errors import DomainError
from domain.sessions import still_acting
from models import ImportJob as ImportJobModel


@strawberry.type
class ImportSubscriptions:
    @strawberry.subscription(
        description="The job as it progresses; ends after the job finishes.",
        graphql_type=ImportJob,
    )
    async def import_job_progress(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[ImportJobModel, None]:
        viewer = info.context.require_viewer()
        try:
            job_id = decode_id(id, "ImportJob", "id")
        except DomainError:
            raise job_not_found() from None
        # aclosing: when the client goes away the watcher's pubsub is closed now, not
        # whenever the garbage collector finalizes the generator.
        redis = info.context.request.app.state.redis
        async with aclosing(watch_import_job(redis, viewer, job_id)) as updates:
            async for job in updates:
                # (a logout, a revoked key or a deactivated account ends the updates)
                if not await still_acting(viewer):
                    raise unauthenticated(TokenRefused.REVOKED)
                yield job
