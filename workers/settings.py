"""arq WorkerSettings, one per queue, so operators can scale each kind of work apart."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import socket
from signal import Signals
from typing import Any, ClassVar

from arq import cron, func
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import health_check_key_suffix
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
    TRANSFER_TIMEOUT,
    dispatch_due_reminders,
    recompute_scores,
    run_customer_transfer,
    run_pool_rules_everywhere,
    score_all_workspaces,
)
from workers.outages import REDIS_ERRORS, RedisOutage

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
    nightly), the pool's nightly rules, customer transfers and other short jobs."""

    queue_name = DEFAULT_QUEUE
    # keep_result=0: a finished score job's arq id is free again (see crm.queues.enqueue_scores).
    functions: ClassVar = [
        dispatch_due_reminders,
        func(recompute_scores, keep_result=0, timeout=SCORES_TIMEOUT),
        # keep_result=0: a transfer's arq id is free again for the sweeper's next nudge.
        func(run_customer_transfer, keep_result=0, timeout=TRANSFER_TIMEOUT),
    ]
    cron_jobs: ClassVar = [
        cron(dispatch_due_reminders, second=0, unique=True, run_at_startup=True),
        # Nightly, at 03:00 UTC: every workspace's scores (recency decays as days pass).
        cron(score_all_workspaces, hour=3, minute=0, second=0, unique=True),
        # Hourly: a workspace's pool day runs in its first hour on the workspace's clock
        # (the PoolRun row makes it once), and unfinished transfers are nudged again.
        cron(run_pool_rules_everywhere, minute=5, second=0, unique=True, timeout=3600),
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
    """arq's worker, telling running jobs (through ctx["shutdown"]) that a shutdown began, and
    riding out Redis outages: it waits for Redis at start and whenever it goes away, where
    arq's own worker exits (and stays down until someone restarts it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outage = RedisOutage(queue=self.queue_name)

    def handle_sig_wait_for_completion(self, signum: Signals) -> None:
        if "shutdown" in self.ctx:
            self.ctx["shutdown"].set()
        super().handle_sig_wait_for_completion(signum)

    async def main(self) -> None:
        if self._pool is None:
            self._pool = await self._connect()
        await super().main()

    async def _connect(self) -> ArqRedis:
        """A pool on Redis, waiting (with backoff) for as long as Redis is away."""
        assert self.redis_settings is not None
        # arq retries a few times, then gives up; here the outage's backoff decides.
        settings = dataclasses.replace(self.redis_settings, conn_retries=0)
        while True:
            try:
                pool = await create_pool(
                    settings,
                    job_deserializer=self.job_deserializer,
                    job_serializer=self.job_serializer,
                    default_queue_name=self.queue_name,
                    expires_extra_ms=self.expires_extra_ms,
                )
            except REDIS_ERRORS as error:
                await asyncio.sleep(self.outage.failed(error))
                continue
            self.outage.succeeded()
            return pool

    async def _poll_iteration(self) -> None:
        # One poll: read the queue, start jobs, reap finished ones, heartbeat and crons. A
        # Redis failure anywhere in it is waited out here rather than ending the worker;
        # running jobs go on (their state is in the database, announcements are best effort).
        try:
            await super()._poll_iteration()
        except REDIS_ERRORS as error:
            # arq stamps the health check before writing it, so the next polls (reads
            # only, which a read-only replica answers) would pass for a recovery and the
            # worker would say "back" while every write still fails. Forgetting the stamp
            # makes every retry a write until Redis takes writes again.
            self._last_health_check = 0
            await asyncio.sleep(self.outage.failed(error))
            return
        self.outage.succeeded()

    async def close(self) -> None:
        """arq's close, except that a Redis that is away does not stop the shutdown: the
        health key expires by itself, and the database connections must still close."""
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        if not self._pool:
            return
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        try:
            await self.pool.delete(self.health_check_key)
        except REDIS_ERRORS:
            log.info("Redis is unavailable at shutdown; the health key will expire by itself")
        if self.on_shutdown:
            await self.on_shutdown(self.ctx)
        with contextlib.suppress(*REDIS_ERRORS):
            await self.pool.close(close_connection_pool=True)
        self._pool = None


def health_check_key(queue: str, replica: str | None = None) -> str:
    """The Redis key a replica of `queue` writes its health to, every health_check_interval.

    One per replica (arq's default is one per queue: every replica wrote the same key, so a
    replica that hung still passed `crm worker --check` while another was alive). A replica
    is named by `--replica`, else by its host name, which compose and Kubernetes make one per
    container; the health check, run in the worker's container, names the same one.
    """
    return f"{QUEUES[queue]}{health_check_key_suffix}:{replica or socket.gethostname()}"


def build_worker(queue: str, replica: str | None = None, **overrides: Any) -> CRMWorker:
    settings = WORKERS[queue]
    return CRMWorker(
        **{
            **get_kwargs(settings),
            "redis_settings": redis_settings(),
            "health_check_key": health_check_key(queue, replica),
            **overrides,
        }
    )


def redis_settings() -> RedisSettings:
    settings = get_settings()
    return arq_settings(redis_url(settings.redis_url, settings.embedded_redis_path))
