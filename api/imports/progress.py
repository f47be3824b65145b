"""Following one import job: Redis pub/sub wakes the watcher, the database says what is true.

Workers publish on the job's channel after every chunk and at the end. A message is only
a wake-up: the watcher re-reads the job and yields that, so a repeated or reordered
message changes nothing. Messages can be lost (pub/sub does not keep them for anyone not
listening, a worker may die between commit and publish), so a quiet channel makes the
watcher re-read anyway every few seconds. Any API replica can serve a watcher: it needs
only Redis and the database.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from api.core.errors import ClientError
from crm.queues import REDIS_ERRORS, progress_channel
from domain.imports.jobs import find_job
from domain.viewer import Viewer
from models import ImportJob
from models.enums import FINISHED_IMPORT_STATUSES

# How long a watcher waits for a message before it re-reads the job anyway.
QUIET_SECONDS = 3.0


def job_not_found() -> ClientError:
    return ClientError("Import job not found.", "NOT_FOUND")


def progress_unavailable() -> ClientError:
    # Redis is down (or not up yet): the job goes on; the client reads it with importJob.
    return ClientError(
        "Import progress cannot be followed right now; read importJob, or subscribe again.",
        "UNAVAILABLE",
    )


async def watch_import_job(
    redis: Any, viewer: Viewer, job_id: int, *, quiet: float = QUIET_SECONDS
) -> AsyncGenerator[ImportJob, None]:
    """The job now, then each time it changes; ends after a finished state.

    Subscribes before the first read: a chunk committed between the read and the
    subscription would otherwise go unannounced until the next quiet re-read.
    """
    pubsub = redis.pubsub()
    try:
        try:
            await pubsub.subscribe(progress_channel(job_id))
            await _confirmed(pubsub, quiet)
        except REDIS_ERRORS:
            raise progress_unavailable() from None
        job = await find_job(viewer, job_id)
        if job is None:
            raise job_not_found()
        seen = None
        while True:
            if _state(job) != seen:
                seen = _state(job)
                yield job
            if job.status in FINISHED_IMPORT_STATUSES:
                return
            try:
                await _news(pubsub, quiet)
            except REDIS_ERRORS:
                raise progress_unavailable() from None
            job = await find_job(viewer, job_id)
            if job is None:
                return  # deleted with its workspace
    finally:
        # Closing drops the connection, and with it the subscription, whether the job
        # finished, the client went away (cancellation) or Redis failed.
        await pubsub.aclose()


async def _confirmed(pubsub: Any, wait: float) -> None:
    """Waits until Redis has registered the subscription (its "subscribe" reply)."""
    message = await pubsub.get_message(timeout=wait)
    while message is not None and message["type"] != "subscribe":
        message = await pubsub.get_message(timeout=wait)


async def _news(pubsub: Any, quiet: float) -> None:
    """Returns after a message, or after `quiet` seconds without one."""
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=quiet)
    # A burst of messages (chunks committed while we read) needs only one re-read.
    while message is not None:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0)


def _state(job: ImportJob) -> tuple[Any, ...]:
    return (
        job.status,
        job.total_rows,
        job.processed_rows,
        job.created_count,
        job.updated_count,
        job.skipped_count,
        job.failed_count,
        job.started_at,
        job.finished_at,
    )
