"""Import jobs on their own queue, so operators scale import workers apart from the rest."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

from domain.imports.jobs import unfinished_checkpoints
from domain.imports.runner import progress_message, run_import
from models import ImportJob
from models.enums import ImportStatus

log = logging.getLogger("crm.worker.imports")

IMPORTS_QUEUE = "crm:imports"


def progress_channel(job_id: int) -> str:
    return f"crm:import:{job_id}"


# A run stops after this long and queues its own continuation: no arq job outlives
# TIMEOUT, so the nudge of a worker that died is free to run again soon after.
SLICE = timedelta(seconds=60)
TIMEOUT = 120


def import_job_id(job_id: int, next_row: int) -> str:
    # One arq job per import and checkpoint: nudging twice for the same point is a no-op,
    # and a continuation (a later checkpoint) is never blocked by the run that queued it.
    return f"import:{job_id}:{next_row}"


async def enqueue_import(redis: Any, job_id: int, next_row: int = 1) -> None:
    await redis.enqueue_job(
        "run_import_job",
        job_id,
        _job_id=import_job_id(job_id, next_row),
        _queue_name=IMPORTS_QUEUE,
    )


async def run_import_job(ctx: dict[str, Any], job_id: int) -> str | None:
    """Runs or resumes an import; on shutdown the job goes back to the queue at its checkpoint."""
    redis = ctx["redis"]

    async def publish(job: ImportJob) -> None:
        await redis.publish(progress_channel(job.id), json.dumps(progress_message(job)))

    shutdown = ctx.get("shutdown")
    deadline = time.monotonic() + SLICE.total_seconds()

    def should_stop() -> bool:
        return (shutdown is not None and shutdown.is_set()) or time.monotonic() > deadline

    status = await run_import(job_id, should_stop=should_stop, on_progress=publish)
    if status == ImportStatus.QUEUED and not (shutdown is not None and shutdown.is_set()):
        job = await ImportJob.get(id=job_id)
        await enqueue_import(redis, job_id, job.next_row)
    log.info(
        "import %s: %s",
        job_id,
        status.value if status else "taken by another worker",
        extra={"import_job_id": job_id},
    )
    return status.value if status else None


async def sweep_imports(ctx: dict[str, Any]) -> int:
    """Nudges every import the database says is unfinished (lost nudge, dead worker)."""
    checkpoints = await unfinished_checkpoints()
    for job_id, next_row in checkpoints:
        await enqueue_import(ctx["redis"], job_id, next_row)
    return len(checkpoints)
