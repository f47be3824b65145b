"""arq WorkerSettings, one per queue, so operators can scale each kind of work apart."""

from __future__ import annotations

import asyncio
import logging
from signal import Signals
from typing import Any, ClassVar

from arq import cron, func
from arq.connections import RedisSettings
from arq.worker import Worker, get_kwargs
from tortoise import Tortoise

from crm.db import tortoise_config
from crm.queues import DEFAULT_QUEUE, IMPORTS_QUEUE
from crm.redis import arq_settings, redis_url
from crm.settings import get_settings
from workers.imports import TIMEOUT as IMPORT_TIMEOUT
from workers.imports import run_import_job, sweep_imports
from workers.jobs import (
    SCORES_TIMEOUT,
    dispatch_due_reminders,
    recompute_scores,
    score_all_workspaces,
)

log = logging.getLogger("crm.worker")

QUEUES = {"default": DEFAULT_QUEUE, "imports": IMPORTS_QUEUE}


async def startup(ctx: dict[str, Any]) -> None:
    # Keep the context: arq runs shutdown in another task, where the ORM's context-local
    # state is not visible, and SQLite's thread would otherwise keep the process alive.
    ctx["tortoise"] = await Tortoise.init(config=tortoise_config())
    # Set on SIGTERM. arq hands each job a copy of ctx, so jobs share this one object.
    ctx["shutdown"] = asyncio.Event()
    log.info("worker ready")


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["tortoise"].close_connections()


class DefaultWorker:
    """Reminder dispatch (every minute, on the minute), customer scores (on request and
    nightly) and other short jobs."""

    queue_name = DEFAULT_QUEUE
    # keep_result=0: a finished score job's arq id is free again (see crm.queues.enqueue_scores).
    functions: ClassVar = [
        dispatch_due_reminders,
        func(recompute_scores, keep_result=0, timeout=SCORES_TIMEOUT),
    ]
    cron_jobs: ClassVar = [
        cron(dispatch_due_reminders, second=0, unique=True, run_at_startup=True),
        # Nightly, at 03:00 UTC: every workspace's scores (recency decays as days pass).
        cron(score_all_workspaces, hour=3, minute=0, second=0, unique=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    health_check_interval = 30
    max_jobs = 10


class ImportWorker:
    """Import jobs, and the sweeper that re-nudges imports whose nudge or worker was lost."""

    queue_name = IMPORTS_QUEUE
    # keep_result=0: a finished import's arq id is free again, so it can be re-nudged.
    functions: ClassVar = [func(run_import_job, keep_result=0, timeout=IMPORT_TIMEOUT)]
    cron_jobs: ClassVar = [cron(sweep_imports, second=30, unique=True, run_at_startup=True)]
    on_startup = startup
    on_shutdown = shutdown
    health_check_interval = 30
    max_jobs = 2
    # On SIGTERM a running import finishes its chunk, checkpoints and goes back to the queue.
    job_completion_wait = 60


WORKERS: dict[str, type] = {"default": DefaultWorker, "imports": ImportWorker}


class CRMWorker(Worker):
    """arq's worker, telling running jobs (through ctx["shutdown"]) that a shutdown began."""

    def handle_sig_wait_for_completion(self, signum: Signals) -> None:
        if "shutdown" in self.ctx:
            self.ctx["shutdown"].set()
        super().handle_sig_wait_for_completion(signum)


def build_worker(queue: str, **overrides: Any) -> CRMWorker:
    settings = WORKERS[queue]
    return CRMWorker(**{**get_kwargs(settings), "redis_settings": redis_settings(), **overrides})


def redis_settings() -> RedisSettings:
    settings = get_settings()
    return arq_settings(redis_url(settings.redis_url, settings.embedded_redis_path))
