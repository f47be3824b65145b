"""Handing work to Redis from a request without depending on Redis being there."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from crm.queues import REDIS_ERRORS, REDIS_TIMEOUT


async def handed_to_redis(work: Awaitable[object], tell: Callable[[str], None]) -> bool:
    """True once Redis has done `work` within REDIS_TIMEOUT; when it is down or slow,
    False, after `tell` (a log line) is given the error's name. What then is the caller's
    choice: a job the sweeper will find, or a refusal the client may retry."""
    try:
        await asyncio.wait_for(work, REDIS_TIMEOUT)
    except REDIS_ERRORS as error:
        tell(type(error).__name__)
        return False
    return True
