"""What the API and the workers agree on in Redis: queue names, nudge ids, progress channels.

Both sides import this module and never each other: the API nudges workers and listens
to their progress, the workers take the nudges and publish the progress, and the names
are written once, here. Redis only carries work; what the work is lives in the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any, Protocol

from redis.exceptions import RedisError

log = logging.getLogger("crm.queues")

# Longer than a healthy Redis ever takes; short enough that nobody is kept waiting on it.
REDIS_TIMEOUT = 2.0
# What a Redis that is down or slow raises.
REDIS_ERRORS = (RedisError, OSError, TimeoutError)

DEFAULT_QUEUE = "crm:default"
IMPORTS_QUEUE = "crm:imports"


class JobCheckpoint(Protocol):
    """An import job as a nudge names it (a model instance or a partial read of one)."""

    id: int
    created_at: datetime
    next_row: int


def progress_channel(job_id: int) -> str:
    """The pub/sub channel on which an import's progress is announced."""
    return f"crm:import:{job_id}"


def created_stamp(created_at: datetime) -> int:
    """A job's creation instant in microseconds: with its number, what identifies it."""
    return int(created_at.timestamp() * 1_000_000)


def import_job_id(job: JobCheckpoint) -> str:
    """The arq id of the nudge for the job at its checkpoint.

    One arq job per import and checkpoint: nudging twice for the same point is a no-op,
    and a continuation (a later checkpoint) is never blocked by the run that queued it.
    The creation instant is part of it because arq's ids are global to a Redis: another
    database sharing the Redis (a staging copy, a recreated test database) reuses job
    numbers, and its nudge must not be mistaken for a leftover of ours.
    """
    return f"import:{job.id}:{created_stamp(job.created_at)}:{job.next_row}"


async def enqueue_import(redis: Any, job: JobCheckpoint) -> None:
    """Asks some import worker to run or resume the job from its checkpoint."""
    await redis.enqueue_job(
        "run_import_job",
        job.id,
        created_stamp(job.created_at),
        _job_id=import_job_id(job),
        _queue_name=IMPORTS_QUEUE,
    )


async def publish_progress(redis: Any, job_id: int, message: dict[str, Any]) -> None:
    await redis.publish(progress_channel(job_id), json.dumps(message))


async def announce_progress(redis: Any, job_id: int, message: dict[str, Any]) -> None:
    """Publishes progress if Redis takes it in time; logs otherwise. Progress only wakes
    subscribers sooner (they re-read the database anyway), so it never stops the caller."""
    try:
        await asyncio.wait_for(publish_progress(redis, job_id, message), REDIS_TIMEOUT)
    except REDIS_ERRORS as error:
        log.warning(
            "import %s: could not announce progress (%s)",
            job_id,
            type(error).__name__,
            extra={"import_job_id": job_id},
        )
