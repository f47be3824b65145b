"""Starting and cancelling imports; any signed-in user, or an API key with the IMPORTS scope."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.core.ids import decode_id
from api.core.mutations import perform
from api.imports.inputs import StartImportInput
from api.imports.nudges import announce_progress, nudge_import_worker
from api.imports.types import ImportJobPayload
from domain.imports import jobs
from domain.viewer import Viewer
from models import ImportJob
from models.enums import ApiKeyScope


@strawberry.type
class ImportMutations:
    @strawberry.mutation(
        description="Stores the rows or the uploaded file (GraphQL multipart request spec, "
        "with an Apollo-Require-Preflight header) as a QUEUED job that a worker runs; follow "
        "it with importJobProgress."
    )
    async def start_import(self, info: Info, input: StartImportInput) -> ImportJobPayload:
        context = info.context

        async def start(viewer: Viewer) -> ImportJob:
            request = await input.to_request(context.import_max_bytes)
            job, created = await jobs.start_import(
                viewer, request, max_bytes=context.import_max_bytes
            )
            if created:  # the first call with an idempotency key already nudged
                await nudge_import_worker(context.request.app.state.redis, job)
            return job

        return await perform(info, ImportJobPayload, start, scope=ApiKeyScope.IMPORTS)

    @strawberry.mutation(
        description="A queued job stops at once; a running one after its current chunk, "
        "keeping every row it has imported."
    )
    async def cancel_import(self, info: Info, id: strawberry.ID) -> ImportJobPayload:
        context = info.context

        async def cancel(viewer: Viewer) -> ImportJob:
            job = await jobs.cancel_import(viewer, decode_id(id, "ImportJob", "id", "Import job"))
            await announce_progress(context.request.app.state.redis, job)
            return job

        return await perform(info, ImportJobPayload, cancel, scope=ApiKeyScope.IMPORTS)
