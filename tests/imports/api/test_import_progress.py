"""importJobProgress over a real WebSocket (graphql-transport-ws), fed by a real worker."""

import asyncio

from arq import ArqRedis
from websockets.asyncio.client import ClientConnection

from api.core.ids import to_global_id
from crm.queues import progress_channel
from domain.imports.runner import run_import
from models.enums import ImportStatus
from tests.factories import pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import nudge_of, run_nudge_on_worker, start_import
from tests.subscriptions import receive, signed_in_socket, subscribe, until_complete

PROGRESS = """
subscription Progress($id: ID!) {
  importJobProgress(id: $id) { id status processedRows createdCount failedCount totalRows }
}
"""
ROWS = 2500  # three chunks of 1,000


async def _subscribe(ws: ClientConnection, job_id: str) -> str:
    return await subscribe(ws, PROGRESS, {"id": job_id})


async def _subscribers(arq_redis: ArqRedis, job_id: str) -> int:
    [(_, count)] = await arq_redis.pubsub_numsub(progress_channel(pk(job_id)))
    return count


async def _wait_for_subscribers(arq_redis: ArqRedis, job_id: str, count: int) -> None:
    for _ in range(200):
        if await _subscribers(arq_redis, job_id) == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} subscribers")


async def test_progress_follows_a_worker_and_completes(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis, queue_name: str
):
    # given: a queued import and a subscriber
    rows = [{"name": f"客户 {i}", "phone": f"139{i:08d}"} for i in range(ROWS)]
    job_id = (await start_import(gql, workspace.token, kind="CUSTOMERS", rows=rows))["importJob"][
        "id"
    ]
    async with signed_in_socket(server, workspace.token) as ws:
        operation = await _subscribe(ws, job_id)
        first = await receive(ws)

        # when: a worker runs it
        nudge = await nudge_of(arq_redis, pk(job_id))
        assert nudge is not None
        worker = await run_nudge_on_worker(arq_redis, nudge, queue_name)
        rest = await until_complete(ws, operation)

        # then: the state at subscription, the progress, the end, then `complete`
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
        assert first["payload"]["data"]["importJobProgress"]["status"] == "QUEUED"
        assert [m["type"] for m in rest][-1] == "complete"
        states = [first, *rest[:-1]]
        assert all(m["type"] == "next" for m in states)
        jobs = [m["payload"]["data"]["importJobProgress"] for m in states]
        processed = [job["processedRows"] for job in jobs]
        assert processed == sorted(processed)
        assert jobs[-1] == {
            "id": job_id,
            "status": "COMPLETED",
            "processedRows": ROWS,
            "createdCount": ROWS,
            "failedCount": 0,
            "totalRows": ROWS,
        }
        # and the server let go of the channel
        await _wait_for_subscribers(arq_redis, job_id, 0)


async def test_a_finished_job_yields_once_and_completes(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given: a finished import with a failed row
    rows = [{"name": "甲"}, {"name": None}]
    job_id = (await start_import(gql, workspace.token, kind="CUSTOMERS", rows=rows))["importJob"][
        "id"
    ]
    assert await run_import(pk(job_id)) == ImportStatus.COMPLETED

    async with signed_in_socket(server, workspace.token) as ws:
        # when
        query = "subscription($id: ID!) { importJobProgress(id: $id) { status errorReportUrl } }"
        operation = await subscribe(ws, query, {"id": job_id})
        messages = await until_complete(ws, operation)

    # then: the report's URL is an http one, though the socket is ws://
    assert [m["type"] for m in messages] == ["next", "complete"]
    assert messages[0]["payload"]["data"]["importJobProgress"] == {
        "status": "COMPLETED",
        "errorReportUrl": f"http://{server}/imports/{job_id}/errors.csv",
    }
    await _wait_for_subscribers(arq_redis, job_id, 0)


async def test_a_subscriber_that_leaves_is_unsubscribed(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given: a subscriber to a job no worker runs
    job_id = (await start_import(gql, workspace.token, kind="CUSTOMERS", rows=[{"name": "甲"}]))[
        "importJob"
    ]["id"]
    async with signed_in_socket(server, workspace.token) as ws:
        await _subscribe(ws, job_id)
        assert (await receive(ws))["payload"]["data"]["importJobProgress"]["status"] == "QUEUED"
        assert await _subscribers(arq_redis, job_id) == 1

    # when: the socket closed (leaving the with block)

    # then
    await _wait_for_subscribers(arq_redis, job_id, 0)


async def test_another_workspace_gets_an_error_not_the_job(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given
    job_id = (await start_import(gql, workspace.token, kind="CUSTOMERS", rows=[{"name": "甲"}]))[
        "importJob"
    ]["id"]
    stranger = await gql.sign_up()

    async with signed_in_socket(server, stranger.token) as ws:
        # when
        messages = await until_complete(ws, await _subscribe(ws, job_id))

    # then
    errors = [e for m in messages if m["type"] == "next" for e in m["payload"].get("errors", [])]
    assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"]
    assert all(m["payload"].get("data") is None for m in messages if m["type"] == "next")
    await _wait_for_subscribers(arq_redis, job_id, 0)


async def test_an_id_of_another_type_gets_an_error(server: str, workspace: Account):
    async with signed_in_socket(server, workspace.token) as ws:
        # when
        messages = await until_complete(ws, await _subscribe(ws, to_global_id("Customer", 1)))

    # then
    errors = [e for m in messages if m["type"] == "next" for e in m["payload"].get("errors", [])]
    assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"]


async def test_without_a_token_the_subscription_is_refused(
    gql: GraphQL, server: str, workspace: Account
):
    # given
    job_id = (await start_import(gql, workspace.token, kind="CUSTOMERS", rows=[{"name": "甲"}]))[
        "importJob"
    ]["id"]

    async with signed_in_socket(server, None) as ws:
        # when
        messages = await until_complete(ws, await _subscribe(ws, job_id))

    # then
    errors = [e for m in messages if m["type"] == "next" for e in m["payload"].get("errors", [])]
    assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
