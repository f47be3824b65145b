"""A WebSocket message the server cannot read is refused as the protocol says (graphql-transport-ws:
close 4400), never an exception in the server, whatever it holds."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
import websockets

from tests.cpu import cpu_time
from tests.subscriptions import PROTOCOL, receive

LEGACY_PROTOCOL = "graphql-ws"
DEEP = 1000
# The CPU time (tests/cpu.py) a refusal may cost the process (client and in-process
# server); each refused well within this. The recv timeout below is a hang guard.
BOUND = 2.0


async def _closed_after(ws: websockets.ClientConnection, message: str) -> tuple[int, float]:
    """Sends `message`; the close code the server answers with, and the CPU seconds it cost."""
    with cpu_time() as cpu:
        await ws.send(message)
        try:
            answer = await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed as closed:
            received = closed.rcvd
        else:
            raise AssertionError(f"expected the socket to close, got {answer}")
    assert received is not None, "the connection dropped without a close frame"
    return received.code, cpu.seconds


def _subscribe(payload: object) -> str:
    return json.dumps({"id": "1", "type": "subscribe", "payload": payload})


UNREADABLE = [
    pytest.param("[" * DEEP + "]" * DEEP, id="deep-array"),
    pytest.param('{"type":' * DEEP + '"ping"' + "}" * DEEP, id="deep-object"),
    pytest.param("[1, 2]", id="an-array"),
    pytest.param('"connection_init"', id="a-string"),
    pytest.param("42", id="a-number"),
    pytest.param("null", id="null"),
    pytest.param('{"type": ["subscribe"]}', id="type-not-a-string"),
    pytest.param(_subscribe(["{ __typename }"]), id="payload-a-list"),
    pytest.param(_subscribe({"query": ["{ __typename }"]}), id="query-a-list"),
    pytest.param(_subscribe({"query": "{ __typename }", "variables": [1]}), id="variables-list"),
    pytest.param(
        '{"id": ["1"], "type": "subscribe", "payload": {"query": "{ __typename }"}}',
        id="id-a-list",
    ),
    pytest.param(
        '{"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }", '
        '"variables": {"name": "\\ud800"}}}',
        id="lone-surrogate",
    ),
]


@pytest.mark.parametrize("message", UNREADABLE)
async def test_an_unreadable_message_closes_the_socket_with_4400(
    server: str, message: str, caplog: pytest.LogCaptureFixture
):
    async with websockets.connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL]) as ws:
        # given: an acknowledged connection
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(ws))["type"] == "connection_ack"

        # when
        with caplog.at_level(logging.ERROR):
            code, elapsed = await _closed_after(ws, message)

    # then
    assert code == 4400
    assert elapsed < BOUND, f"closed after {elapsed:.2f} CPU s"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    # and the server goes on serving
    async with websockets.connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(ws))["type"] == "connection_ack"


async def test_an_unreadable_first_message_closes_the_socket_with_4400(server: str):
    async with websockets.connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL]) as ws:
        # when: before connection_init
        code, _ = await _closed_after(ws, "[" * DEEP + "]" * DEEP)

    # then
    assert code == 4400


@pytest.mark.parametrize("message", ["[1, 2]", "42", "null", '{"type": 1}', "[" * DEEP])
async def test_the_legacy_protocol_ignores_an_unreadable_message(server: str, message: str):
    async with websockets.connect(f"ws://{server}/graphql", subprotocols=[LEGACY_PROTOCOL]) as ws:
        # given / when: junk first, as the legacy protocol ignores what it cannot parse
        await ws.send(message)
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))

        # then: the socket is still there, and answers
        answer = json.loads(await asyncio.wait_for(ws.recv(), 10))

    assert answer == {"type": "connection_ack"}
