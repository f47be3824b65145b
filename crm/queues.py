"""What the API and the workers agree on in Redis: queue names, nudge ids, progress channels,
reminder announcements.

Both sides import this module and never each other: the API nudges workers and listens
to their progress, the workers take the nudges and publish the progress, and the names
are written once, here. Redis only carries work; what the work is lives in the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError

log = logging.getLogger("crm.queues")

# Longer than a healthy Redis ever takes; short enough that nobody is kept waiting on it.
REDIS_TIMEOUT = 2.0
# What a Redis that is down, slow or failing over raises, for the API and the workers alike:
# a lost, refused or stalled connection (redis-py's ConnectionError and TimeoutError, a bare
# OSError from a socket closed mid-command, asyncio's TimeoutError from our own waits), and
# what a server answers while it cannot take writes (READONLY from a replica during a
# failover, OOM, MISCONF): every RedisError. The API fails open or only logs; a worker
# waits them out (workers/outages.py).
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)

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


RUN_TRANSFER = "run_customer_transfer"


def transfer_job_id(transfer_id: int, created_at: datetime) -> str:
    """The arq id of a transfer's nudge: one queued at a time (its creation instant tells
    ours from another database's transfer of the same number, as for imports)."""
    return f"transfer:{transfer_id}:{created_stamp(created_at)}"


async def enqueue_transfer(redis: Any, transfer_id: int, created_at: datetime) -> None:
    """Asks some default worker to run or resume a large customer transfer."""
    await redis.enqueue_job(
        RUN_TRANSFER,
        transfer_id,
        created_stamp(created_at),
        _job_id=transfer_job_id(transfer_id, created_at),
        _queue_name=DEFAULT_QUEUE,
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


# Reminders: the default worker's dispatcher announces each reminder it sends; the API
# pushes it to its owner (Subscription.reminderDue).

REMINDERS_CHANNEL = "crm:reminders"


class ReminderSending(Protocol):
    """A reminder as the dispatcher sent it (a domain `DueReminder`, frozen: read-only)."""

    @property
    def id(self) -> int: ...
    @property
    def workspace_id(self) -> int: ...
    @property
    def user_id(self) -> int: ...
    @property
    def customer_id(self) -> int: ...
    @property
    def sent_at(self) -> datetime: ...


@dataclass(frozen=True)
class ReminderSent:
    """An announcement read back: which reminder, whose, and which sending of it.

    A routing key and a wake-up, never the data: the API reads the reminder from the
    database, in the subscriber's own workspace, and yields it only while it is still this
    sending (SENT at `sent_at`). So a stale announcement (dismissed or snoozed since), a
    forged one, or one from another database sharing the Redis (same ids, other instants)
    yields nothing.
    """

    id: int
    workspace_id: int
    user_id: int
    customer_id: int
    sent_at: datetime


async def publish_reminder_sent(redis: Any, reminder: ReminderSending) -> None:
    message = {
        "id": reminder.id,
        "workspaceId": reminder.workspace_id,
        "userId": reminder.user_id,
        "customerId": reminder.customer_id,
        "sentAt": reminder.sent_at.isoformat(),
    }
    await redis.publish(REMINDERS_CHANNEL, json.dumps(message))


def reminder_sent(data: str | bytes) -> ReminderSent | None:
    """The announcement a message on REMINDERS_CHANNEL carries; None if it carries none."""
    try:
        message = json.loads(data)
        sent = ReminderSent(
            id=int(message["id"]),
            workspace_id=int(message["workspaceId"]),
            user_id=int(message["userId"]),
            customer_id=int(message["customerId"]),
            sent_at=datetime.fromisoformat(message["sentAt"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    # A naive instant cannot be compared with the stored one: not one of ours.
    return sent if sent.sent_at.tzinfo is not None else None


# Customer scores: the API (recomputeScores) and the nightly cron queue recompute_scores
# jobs on the default queue; a job names a workspace and, optionally, some of its customers.

RECOMPUTE_SCORES = "recompute_scores"
# A request that finds its job running queues the next slot: the running job may have read
# the records before the request was made. Past the last slot, a job of its own.
SCORE_SLOTS = 3


def scores_job_prefix(workspace_id: int, workspace_created_at: datetime) -> str:
    """What the arq ids of a workspace's score jobs begin with. The workspace's creation
    instant is part of it because arq's ids are global to a Redis: another database sharing
    the Redis has workspaces of the same numbers, and their jobs must not collapse ours."""
    return f"scores:{workspace_id}:{created_stamp(workspace_created_at)}:"


def scores_job_id(
    workspace_id: int,
    workspace_created_at: datetime,
    customer_ids: Collection[int] | None,
    slot: int | str,
) -> str:
    """The arq id of a request in a slot: the same customers (or the whole workspace, "all")
    make the same id, so a request repeated while its job waits is a no-op."""
    if customer_ids is None:
        target = "all"
    else:
        listed = ",".join(str(pk) for pk in sorted(set(customer_ids)))
        target = hashlib.sha256(listed.encode()).hexdigest()[:24]
    return f"{scores_job_prefix(workspace_id, workspace_created_at)}{target}:{slot}"


async def enqueue_scores(
    redis: Any,
    workspace_id: int,
    workspace_created_at: datetime,
    customer_ids: Collection[int] | None = None,
) -> str:
    """Asks some default worker to recompute the scores of the customers (None: all of the
    workspace's); returns the arq id of the job that will.

    Duplicates collapse, and a later request is never swallowed. A job that waits on the
    queue reads the records only when it starts, so a request that finds its id queued
    (arq then keeps the one job) is served by it. A job that runs may have read them
    before the request, so a request that finds its id running takes the next slot. Ids
    are free again once a job finishes (it keeps no result).
    """
    ids = None if customer_ids is None else sorted(set(customer_ids))
    job_id = None
    for slot in range(SCORE_SLOTS):
        candidate = scores_job_id(workspace_id, workspace_created_at, ids, slot)
        # Checked before enqueueing: a job that starts after this check reads the records
        # after the request, so it serves it.
        if not await redis.exists(in_progress_key_prefix + candidate):
            job_id = candidate
            break
    if job_id is None:  # every slot runs (rare): a job of its own
        job_id = scores_job_id(workspace_id, workspace_created_at, ids, uuid.uuid4().hex)
    await redis.enqueue_job(
        RECOMPUTE_SCORES,
        workspace_id,
        ids,
        created=created_stamp(workspace_created_at),
        _job_id=job_id,
        _queue_name=DEFAULT_QUEUE,
    )
    return job_id
