"""arq WorkerSettings, one per queue, so operators can scale each kind of work apart."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from arq import cron
from arq.connections import RedisSettings
from tortoise import Tortoise

from crm.db import tortoise_config
from crm.redis import arq_settings, redis_url
from crm.settings import get_settings
from workers.jobs import dispatch_due_reminders

log = logging.getLogger("crm.worker")

DEFAULT_QUEUE = "crm:default"
QUEUES = {"default": DEFAULT_QUEUE}


async def startup(ctx: dict[str, Any]) -> None:
    # Keep the context: arq runs shutdown in another task, where the ORM's context-local
    # state is not visible, and SQLite's thread would otherwise keep the process alive.
    ctx["tortoise"] = await Tortoise.init(config=tortoise_config())
    log.info("worker ready")


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["tortoise"].close_connections()


class DefaultWorker:
    """Reminder dispatch (every minute, on the minute) and other short jobs."""

    queue_name = DEFAULT_QUEUE
    functions: ClassVar = [dispatch_due_reminders]
    cron_jobs: ClassVar = [cron(dispatch_due_reminders, second=0, unique=True, run_at_startup=True)]
    on_startup = startup
    on_shutdown = shutdown
    health_check_interval = 30
    max_jobs = 10


WORKERS: dict[str, type] = {"default": DefaultWorker}


def redis_settings() -> RedisSettings:
    settings = get_settings()
    return arq_settings(redis_url(settings.redis_url, settings.embedded_redis_path))
