"""Score requests queue jobs on the real default queue: take ours away after each test, so
no worker (of this session or another sharing the Redis server) runs them later."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from arq import ArqRedis

from crm.queues import DEFAULT_QUEUE
from tests.scoring.support import forget_our_score_jobs


@pytest.fixture(autouse=True)
async def _forget_our_score_jobs(arq_redis: ArqRedis) -> AsyncIterator[None]:
    before = set(await arq_redis.zrange(DEFAULT_QUEUE, 0, -1))
    yield
    await forget_our_score_jobs(arq_redis, before)
