"""The watcher behind importJobProgress: woken by pub/sub, re-reading when messages are lost."""

import asyncio

import pytest
from arq import ArqRedis

from api.core.errors import ClientError
from api.core.ids import from_global_id
from api.imports.progress import watch_import_job
from crm.queues import progress_channel
from crm.redis import lazy_pool
from domain.viewer import Viewer
from models import ImportJob, User
from models.enums import ImportStatus
from tests.factories import pk
from tests.helpers import Account, GraphQL, count_queries
from tests.imports.api.support import start_import

TIMEOUT = 10


async def _queued_job(gql: GraphQL, account: Account) -> tuple[Viewer, int]:
    user = await User.get(id=from_global_id(account.user_id)[1])
    viewer = Viewer(workspace_id=user.workspace_id, role=user.role, user_id=user.id)
    started = await start_import(gql, account.token, kind="CUSTOMERS", rows=[{"name": "甲"}])
    return viewer, pk(started["importJob"]["id"])


async def _subscribers(arq_redis: ArqRedis, job_pk: int) -> int:
    [(_, count)] = await arq_redis.pubsub_numsub(progress_channel(job_pk))
    return count


async def test_a_message_wakes_the_watcher_at_once(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis
):
    # given: a watcher that would not re-read on its own for a minute
    viewer, job_pk = await _queued_job(gql, workspace)
    updates = watch_import_job(arq_redis, viewer, job_pk, quiet=60)
    first = await asyncio.wait_for(anext(updates), TIMEOUT)
    assert await _subscribers(arq_redis, job_pk) == 1

    # when: a worker commits a chunk and says so
    await ImportJob.filter(id=job_pk).update(status=ImportStatus.RUNNING, processed_rows=1000)
    await arq_redis.publish(progress_channel(job_pk), '{"processedRows": 1000}')
    with count_queries() as statements:
        second = await asyncio.wait_for(anext(updates), TIMEOUT)

    # then: the job as the database has it, read in one statement
    assert (first.status, first.processed_rows) == (ImportStatus.QUEUED, 0)
    assert (second.status, second.processed_rows) == (ImportStatus.RUNNING, 1000)
    assert len(statements) == 1, statements
    await updates.aclose()
    assert await _subscribers(arq_redis, job_pk) == 0


async def test_without_messages_the_watcher_reads_again_and_yields_only_changes(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis
):
    # given: a watcher re-reading every 0.1 s, whose job does not change for a while
    viewer, job_pk = await _queued_job(gql, workspace)
    seen: list[ImportJob] = []

    async def watch() -> None:
        async for job in watch_import_job(arq_redis, viewer, job_pk, quiet=0.1):
            seen.append(job)

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.6)
    unchanged = len(seen)

    # when: the job finishes and its worker's message is lost
    await ImportJob.filter(id=job_pk).update(status=ImportStatus.COMPLETED, processed_rows=1)
    await asyncio.wait_for(watcher, TIMEOUT)

    # then: the first state once, the last, and the watcher's end
    assert unchanged == 1
    assert [(job.status, job.processed_rows) for job in seen] == [
        (ImportStatus.QUEUED, 0),
        (ImportStatus.COMPLETED, 1),
    ]
    assert await _subscribers(arq_redis, job_pk) == 0


async def test_another_workspace_is_told_not_found_and_unsubscribed(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis
):
    # given
    _, job_pk = await _queued_job(gql, workspace)
    stranger_viewer, _ = await _queued_job(gql, await gql.sign_up())

    # when
    updates = watch_import_job(arq_redis, stranger_viewer, job_pk, quiet=60)
    with pytest.raises(ClientError) as raised:
        await asyncio.wait_for(anext(updates), TIMEOUT)

    # then
    assert raised.value.extensions == {"code": "NOT_FOUND"}
    assert await _subscribers(arq_redis, job_pk) == 0


async def test_without_redis_the_watcher_says_unavailable(gql: GraphQL, workspace: Account):
    # given: a job, and a Redis that does not answer (as while the API waits for it)
    viewer, job_pk = await _queued_job(gql, workspace)
    redis = lazy_pool("redis://127.0.0.1:1/0")

    # when
    updates = watch_import_job(redis, viewer, job_pk, quiet=60)
    with pytest.raises(ClientError) as raised:
        await asyncio.wait_for(anext(updates), TIMEOUT)

    # then: a client error that says to come back, not a masked INTERNAL one
    assert raised.value.extensions == {"code": "UNAVAILABLE"}
    await redis.aclose()
