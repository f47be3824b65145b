"""Telling workers and subscribers about a job, through Redis, without depending on it.

The job row is the truth. A nudge only saves a worker from waiting for the sweeper, and
a progress message only wakes subscribers sooner than their own re-read would; so when
Redis is down or slow the mutation still succeeds and the job still runs, later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.exceptions import RedisError

from crm.queues import enqueue_import, publish_progress
from domain.imports.runner import progress_message
from models import ImportJob

log = logging.getLogger("crm.api.imports")

# Longer than a healthy Redis ever takes; short enough that a client is not kept waiting.
REDIS_TIMEOUT = 2.0


async def nudge_import_worker(redis: Any, job: ImportJob) -> bool:
    """Queues the job's nudge for the import workers; False (logged) if Redis did not take it."""
    try:
        await asyncio.wait_for(enqueue_import(redis, job), REDIS_TIMEOUT)
    except (RedisError, OSError, TimeoutError) as error:
        log.warning(
            "import %s: could not nudge a worker (%s); the sweeper will",
            job.id,
            type(error).__name__,
            extra={"import_job_id": job.id},
        )
        return False
    return True


async def announce_progress(redis: Any, job: ImportJob) -> None:
    """Wakes the job's subscribers now (a cancelled queued job has no worker to tell them)."""
    try:
        await asyncio.wait_for(
            publish_progress(redis, job.id, progress_message(job)),
            REDIS_TIMEOUT,
        )
    except (RedisError, OSError, TimeoutError) as error:
        log.warning(
            "import %s: could not announce progress (%s)",
            job.id,
            type(error).__name__,
            extra={"import_job_id": job.id},
        )
