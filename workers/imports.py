"""Import jobs on their own queue, so operators scale import workers apart from the rest."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any, cast

from crm.logs import log_context
from crm.queues import announce_progress, created_stamp, enqueue_import
from domain.imports.file_keys import forget_finished
from domain.imports.jobs import job_summaries, unfinished_jobs
from domain.imports.runner import progress_message, run_import
from models import ImportJob
from models.enums import ImportStatus

log = logging.getLogger("crm.worker.imports")

# A run stops after this long and queues its own continuation: no arq job outlives
# TIMEOUT, so the nudge of a worker that died is free to run again soon after.
SLICE = timedelta(seconds=60)
TIMEOUT = 120


async def _workspace_of(job_id: int, created: int | None) -> int | None:
    """The job's workspace; None when the job is gone or the nudge names another
    database's job of the same number (its creation instant differs)."""
    # Tortoise types `.first().values()` as always a row; None when there is none.
    found = cast(
        dict[str, Any] | None,
        await ImportJob.filter(id=job_id).first().values("created_at", "workspace_id"),
    )
    if found is None or (created is not None and created_stamp(found["created_at"]) != created):
        return None
    return found["workspace_id"]


async def run_import_job(
    ctx: dict[str, Any], job_id: int, created: int | None = None
) -> str | None:
    """Runs or resumes an import; on shutdown the job goes back to the queue at its checkpoint.

    `created` (the job's creation instant in microseconds) identifies the job beyond its
    number, which another database sharing this Redis may also use.
    """
    workspace_id = await _workspace_of(job_id, created)
    if workspace_id is None:
        log.warning("import %s: no such job here; nudge ignored", job_id)
        return None
    with log_context(import_job_id=job_id, workspace_id=workspace_id):
        return await _run(ctx, job_id)


async def _run(ctx: dict[str, Any], job_id: int) -> str | None:
    redis = ctx["redis"]

    async def publish(job: ImportJob) -> None:
        await announce_progress(redis, job.id, progress_message(job))

    shutdown = ctx.get("shutdown")
    deadline = time.monotonic() + SLICE.total_seconds()

    def shutting_down() -> bool:
        return shutdown is not None and shutdown.is_set()

    def should_stop() -> bool:
        return shutting_down() or time.monotonic() > deadline

    status = await run_import(
        job_id, should_stop=should_stop, must_stop=shutting_down, on_progress=publish
    )
    if status == ImportStatus.QUEUED and not shutting_down():
        # Its next slice, from the checkpoint (read without the stored file).
        await enqueue_import(redis, await job_summaries(id=job_id).get())
    log.info("import %s: %s", job_id, status.value if status else "taken by another worker")
    return status.value if status else None


async def sweep_imports(ctx: dict[str, Any]) -> int:
    """Nudges every import the database says is unfinished (lost nudge, dead worker)."""
    jobs = await unfinished_jobs()
    for job in jobs:
        await enqueue_import(ctx["redis"], job)
    await forget_finished()
    return len(jobs)
