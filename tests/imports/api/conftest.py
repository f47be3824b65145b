"""Every startImport here queues a nudge on the real imports queue; take ours away after each
test, so no worker (of this session or of another sharing the Redis server) runs them later."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from arq import ArqRedis

from crm.queues import IMPORTS_QUEUE, import_job_id
from models import ImportJob


@pytest.fixture(autouse=True)
async def _forget_our_nudges(arq_redis: ArqRedis) -> AsyncIterator[None]:
    before = set(await arq_redis.zrange(IMPORTS_QUEUE, 0, -1))
    yield
    added = [nudge.decode() for nudge in await arq_redis.zrange(IMPORTS_QUEUE, 0, -1)]
    added = [nudge for nudge in added if nudge.encode() not in before]
    # "import:<id>:<created>:<row>": ours only if our database has that job, created then.
    ids = {int(nudge.split(":")[1]) for nudge in added if nudge.startswith("import:")}
    jobs = await ImportJob.filter(id__in=ids).only("id", "created_at", "next_row")
    # The checkpoint (the last part) may have moved since the nudge was queued.
    ours = tuple(import_job_id(job).rsplit(":", 1)[0] + ":" for job in jobs)
    for nudge in added:
        if ours and nudge.startswith(ours):
            await arq_redis.zrem(IMPORTS_QUEUE, nudge)
            await arq_redis.delete(f"arq:job:{nudge}")
