"""Riding out a Redis outage: a worker waits for Redis to come back instead of exiting.

Redis only carries nudges (the database holds every job's state), so a worker that loses
it (any of `crm.queues.REDIS_ERRORS`, a replica's READONLY during a failover included)
has nothing to lose by waiting: it retries with a growing delay and says so once when
Redis goes away and once when it is back, never a line (or a traceback) per attempt.
"""

from __future__ import annotations

import logging
import random
import time

from crm.queues import REDIS_ERRORS

# REDIS_ERRORS is written once, in crm.queues, for the API and the workers alike.
__all__ = ["REDIS_ERRORS", "RedisOutage"]

log = logging.getLogger("crm.worker")

FIRST_DELAY = 0.5
MAX_DELAY = 30.0


class RedisOutage:
    """Whether Redis is reachable, the delay before the next attempt, and the log lines
    that tell an operator when that changed."""

    def __init__(
        self, *, first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY, queue: str = ""
    ) -> None:
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.queue = queue
        self.failures = 0
        self._since: float | None = None

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException) -> float:
        """Records a failed attempt; returns how long to wait before the next one."""
        self.failures += 1
        if self._since is None:
            self._since = time.monotonic()
            log.warning(
                "Redis is unavailable (%s: %s); the %s worker keeps retrying, waiting up to "
                "%g s between attempts",
                type(error).__name__,
                error,
                self.queue or "arq",
                self.max_delay,
            )
        else:
            log.debug("Redis still unavailable after %d attempts: %s", self.failures, error)
        delay = min(self.max_delay, self.first_delay * 2 ** (self.failures - 1))
        # Jitter, so that many workers do not all knock at the same instant when it returns.
        return delay * random.uniform(0.8, 1.0)

    def succeeded(self) -> None:
        """Records a successful round trip; logs the recovery if Redis had been away."""
        if self._since is not None:
            log.info(
                "Redis is back after %.1f s (%d failed attempts); the %s worker resumes",
                time.monotonic() - self._since,
                self.failures,
                self.queue or "arq",
            )
        self._since = None
        self.failures = 0
