"""The token lookup (before any operation runs) and its database: a connection lost under it
is tried once more; a lookup that fails anyway is a masked error with a request id, as a
failure inside an operation is, on every door that looks tokens up."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx
import pytest
import websockets
from tortoise.connection import connections

from api.core.ids import to_global_id
from tests.conftest import DATABASE_URL
from tests.helpers import Account
from tests.ops.processes import Served, crm_env, crm_serve
from tests.subscriptions import PROTOCOL, receive

T = TypeVar("T")
POSTGRES = DATABASE_URL.startswith("postgres")
VIEWER = "{ viewer { email } }"
# A hang guard, not a measure: a retried lookup answers in well under a second, and a lost
# one used to answer 500 at once (the status shows which); a retry that waited on the lost
# connection would never answer.
HANG_GUARD = 30.0
# The table a session token's lookup reads (its user joined), named by the failure it logs.
LOOKED_UP = "user_session"


async def _postgres_backend_waiting_on(admin: asyncpg.Connection, table: str) -> int:
    """The pid of the app's backend whose statement on `table` waits for a lock."""
    for _ in range(500):
        # Within a transaction pg_stat_activity is read once: read it afresh each time.
        await admin.execute("SELECT pg_stat_clear_snapshot()")
        pid = await admin.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()",
            f'%"{table}"%',
        )
        if pid is not None:
            return pid
        await asyncio.sleep(0.01)
    raise AssertionError(f"no statement on {table} came to wait for the lock")


async def _with_the_connection_lost_once(request: Callable[[], Awaitable[T]]) -> T:
    """Runs `request` with the database connection under its token lookup lost.

    PostgreSQL: the lookup is made to wait on a lock, and its backend is terminated while
    it waits (asyncpg's pool replaces a connection it sees closed, so ending an idle one
    would be no test). SQLite: Tortoise's one aiosqlite connection is closed under it.
    """
    if not POSTGRES:
        await connections.get("default")._connection.close()
        return await request()
    admin = await asyncpg.connect(DATABASE_URL)
    try:
        async with admin.transaction():
            await admin.execute("LOCK TABLE app_user IN ACCESS EXCLUSIVE MODE")
            pending = asyncio.ensure_future(request())
            backend = await _postgres_backend_waiting_on(admin, "app_user")
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", backend)
        return await pending
    finally:
        await admin.close()


@pytest.fixture
async def _reopened_after() -> AsyncIterator[None]:
    # Whatever a test did to the SQLite connection, the next test gets a working one.
    yield
    if not POSTGRES:
        await connections.get("default").close()


@pytest.mark.usefixtures("_reopened_after")
async def test_a_connection_lost_during_the_lookup_is_tried_once_more(
    client: httpx.AsyncClient, workspace: Account
):
    # when
    response = await asyncio.wait_for(
        _with_the_connection_lost_once(
            lambda: client.post(
                "/graphql",
                json={"query": VIEWER},
                headers={"Authorization": f"Bearer {workspace.token}"},
            )
        ),
        HANG_GUARD,
    )

    # then: the request succeeds, on a fresh connection
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"viewer": {"email": workspace.email}}}


@pytest.mark.usefixtures("_reopened_after")
async def test_a_connection_lost_during_the_websocket_lookup_is_tried_once_more(
    server: str, workspace: Account
):
    async with websockets.connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL]) as ws:
        init = {
            "type": "connection_init",
            "payload": {"authorization": f"Bearer {workspace.token}"},
        }

        async def connect() -> dict[str, Any]:
            await ws.send(json.dumps(init))
            return await receive(ws)

        # when
        ack = await _with_the_connection_lost_once(connect)

    # then
    assert ack == {"type": "connection_ack"}


@pytest.mark.usefixtures("_reopened_after")
async def test_a_connection_lost_during_the_download_lookup_is_tried_once_more(
    client: httpx.AsyncClient, workspace: Account
):
    # given: a job that does not exist, so a signed-in caller gets 404 (and a stranger 401)
    url = f"/imports/{to_global_id('ImportJob', 2**40)}/errors.csv"

    # when
    response = await _with_the_connection_lost_once(
        lambda: client.get(url, headers={"Authorization": f"Bearer {workspace.token}"})
    )

    # then
    assert (response.status_code, response.text) == (404, "Import job not found.")


# ---------------------------------------------------------------- a lookup that fails


@pytest.fixture(scope="module")
async def unmigrated(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    """`crm serve` on a database that was never migrated: every token lookup fails (no table),
    and not for a lost connection, so it is not retried either."""
    workdir = tmp_path_factory.mktemp("unmigrated")
    if POSTGRES:
        parts = urlparse(DATABASE_URL)
        url = urlunparse(parts._replace(path=f"/crm_test_{uuid.uuid4().hex[:10]}_empty"))
        admin = await asyncpg.connect(DATABASE_URL)
        await admin.execute(f'CREATE DATABASE "{urlparse(url).path[1:]}"')
    else:
        url = f"sqlite://{workdir / 'never-migrated.sqlite3'}"
    env = crm_env(DATABASE_URL=url, EMBEDDED_REDIS_PATH=str(workdir / "redis.db"))
    try:
        with crm_serve(workdir, env) as served:
            yield served
    finally:
        if POSTGRES:
            await admin.execute(f'DROP DATABASE IF EXISTS "{urlparse(url).path[1:]}" WITH (FORCE)')
            await admin.close()


def _logged_with(served: Served, request_id: str) -> str:
    lines = [line for line in served.output().splitlines() if f"(request {request_id})" in line]
    assert lines, f"no log line names request {request_id}"
    return lines[0]


async def test_a_failed_lookup_over_http_is_a_masked_error_with_a_request_id(
    unmigrated: Served, workspace: Account
):
    # given: a token signed with the server's key, for a user it cannot look up
    async with httpx.AsyncClient(base_url=unmigrated.base_url, timeout=30) as http:
        # when
        response = await http.post(
            "/graphql",
            json={"query": VIEWER},
            headers={"Authorization": f"Bearer {workspace.token}"},
        )

    # then: a GraphQL error body, the cause kept for the operator
    assert response.status_code == 500
    [error] = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL"
    request_id = error["extensions"]["requestId"]
    assert LOOKED_UP not in response.text
    line = _logged_with(unmigrated, request_id)
    assert " ERROR " in line
    assert LOOKED_UP in unmigrated.output()


async def test_a_failed_lookup_over_websocket_closes_with_4500_and_a_request_id(
    unmigrated: Served, workspace: Account
):
    url = unmigrated.base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=[PROTOCOL]) as ws:
        # when
        await ws.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"authorization": f"Bearer {workspace.token}"},
                }
            )
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)

    # then: not 4403 (the token may be good), but an internal error to quote
    close = closed.value.rcvd
    assert close is not None
    assert close.code == 4500
    request_id = close.reason.removeprefix("Unexpected error (request ").removesuffix(").")
    assert " ERROR " in _logged_with(unmigrated, request_id)


async def test_a_failed_lookup_on_download_is_a_masked_error_with_a_request_id(
    unmigrated: Served, workspace: Account
):
    # when
    async with httpx.AsyncClient(base_url=unmigrated.base_url, timeout=30) as http:
        response = await http.get(
            f"/imports/{to_global_id('ImportJob', 1)}/errors.csv",
            headers={"Authorization": f"Bearer {workspace.token}"},
        )

    # then
    assert response.status_code == 500
    assert response.text.startswith("Unexpected error (request ")
    request_id = response.text.removeprefix("Unexpected error (request ").removesuffix(").")
    assert " ERROR " in _logged_with(unmigrated, request_id)
    assert LOOKED_UP not in response.text
