"""GraphQL over WebSocket (graphql-transport-ws): who is calling comes from connection_init."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from tests.factories import create_api_key
from tests.helpers import Account, GraphQL
from tests.subscriptions import PROTOCOL, receive, subscribe, until_complete

VIEWER = "{ viewer { email } }"
CUSTOMER = "query Customer($id: ID!) { customer(id: $id) { name } }"
CREATE_CUSTOMER = """
mutation { createCustomer(input: {name: "旧名字"}) { customer { id } errors { message } } }
"""
RENAME_CUSTOMER = """
mutation Rename($id: ID!, $name: String!) {
  updateCustomer(id: $id, input: {name: $name}) { customer { name } errors { message } }
}
"""


@asynccontextmanager
async def _socket(server: str) -> AsyncIterator[ClientConnection]:
    async with websockets.connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL]) as ws:
        yield ws


async def _init(ws: ClientConnection, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    return await receive(ws)


async def _run(
    ws: ClientConnection, query: str, variables: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Subscribes with a single-result operation; returns its messages up to `complete`."""
    return await until_complete(ws, await subscribe(ws, query, variables))


async def test_query_with_a_token_returns_its_data(server: str, workspace: Account):
    async with _socket(server) as ws:
        # given
        ack = await _init(ws, {"authorization": f"Bearer {workspace.token}"})

        # when
        messages = await _run(ws, VIEWER)

    # then
    assert ws.subprotocol == PROTOCOL
    assert ack["type"] == "connection_ack"
    assert [m["type"] for m in messages] == ["next", "complete"]
    assert messages[0]["payload"] == {"data": {"viewer": {"email": workspace.email}}}


async def test_query_without_authorization_is_unauthenticated(server: str):
    async with _socket(server) as ws:
        # given
        ack = await _init(ws)

        # when
        messages = await _run(ws, VIEWER)

    # then
    assert ack["type"] == "connection_ack"
    assert [m["type"] for m in messages] == ["next", "complete"]
    result = messages[0]["payload"]
    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]


async def test_bad_token_closes_the_connection_with_4403(server: str):
    async with _socket(server) as ws:
        # given
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer nope"}})
        )

        # when
        try:
            message = await receive(ws)
        except websockets.ConnectionClosed as closed:
            close = closed.rcvd
        else:
            raise AssertionError(f"expected the connection to close, got {message}")

    # then
    assert close is not None
    assert close.code == 4403


async def test_api_key_works_over_websocket(gql: GraphQL, server: str, workspace: Account):
    # given
    # (an ADMIN key: it sees the admin's customer whoever it acts as)
    key = await create_api_key(gql, workspace, name="ws", role="ADMIN")
    customer_id = (await gql.execute(CREATE_CUSTOMER, token=workspace.token)).ok()[
        "createCustomer"
    ]["customer"]["id"]

    async with _socket(server) as ws:
        await _init(ws, {"authorization": f"Bearer {key}"})

        # when
        messages = await _run(ws, CUSTOMER, {"id": customer_id})

    # then
    assert messages[0]["payload"] == {"data": {"customer": {"name": "旧名字"}}}


async def test_each_operation_reads_fresh_data(gql: GraphQL, server: str, workspace: Account):
    # given: one long-lived socket that has already read a customer
    customer_id = (await gql.execute(CREATE_CUSTOMER, token=workspace.token)).ok()[
        "createCustomer"
    ]["customer"]["id"]
    async with _socket(server) as ws:
        await _init(ws, {"authorization": f"Bearer {workspace.token}"})
        before = await _run(ws, CUSTOMER, {"id": customer_id})

        # when the customer changes and the socket asks again
        renamed = await gql.execute(
            RENAME_CUSTOMER, {"id": customer_id, "name": "新名字"}, workspace.token
        )
        after = await _run(ws, CUSTOMER, {"id": customer_id})

    # then
    assert renamed.ok()["updateCustomer"]["errors"] == []
    assert before[0]["payload"] == {"data": {"customer": {"name": "旧名字"}}}
    assert after[0]["payload"] == {"data": {"customer": {"name": "新名字"}}}


async def test_socket_stays_in_its_workspace(gql: GraphQL, server: str, workspace: Account):
    # given: a customer of one workspace, and a socket signed in to another
    customer_id = (await gql.execute(CREATE_CUSTOMER, token=workspace.token)).ok()[
        "createCustomer"
    ]["customer"]["id"]
    stranger = await gql.sign_up()

    async with _socket(server) as ws:
        await _init(ws, {"authorization": f"Bearer {stranger.token}"})

        # when
        messages = await _run(ws, CUSTOMER, {"id": customer_id})

    # then
    assert messages[0]["payload"] == {"data": {"customer": None}}
