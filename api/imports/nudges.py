"""Telling workers and subscribers about a job, through Redis, without depending on it.

The job row is the truth. A nudge only saves a worker from waiting for the sweeper, and
a progress message only wakes subscribers sooner than their own re-read would; so when
Redis is down or slow the mutation still succeeds and the job still runs, later.
"""

from __future__ import annotations

import logging
from typing import Any

from api.core.redis_handoff import handed_to_redis
from crm import queues
from crm.queues import enqueue_import
from domain.imports.runner import progress_message
from models import ImportJob

log = logging.getLogger("crm.api.imports")


async def nudge_import_worker(redis: Any, job: ImportJob) -> bool:
    """Queues the job's nudge for the import workers; False (logged) if Redis did not take it."""
    return await handed_to_redis(
        enqueue_import(redis, job),
        lambda error: log.warning(
            "import %s: could not nudge a worker (%s); the sweeper will",
            job.id,
            error,
            extra={"import_job_id": job.id},
        ),
    )


async def announce_progress(redis: Any, job: ImportJob) -> None:
    """Wakes the job's subscribers now (a cancelled queued job has no worker to tell them)."""
    await queues.announce_progress(redis, job.id, progress_message(job))
