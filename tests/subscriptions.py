"""A GraphQL-over-WebSocket client (graphql-transport-ws) for tests of subscriptions."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

PROTOCOL = "graphql-transport-ws"
# How long a test waits for the server's next message before it fails.
TIMEOUT = 20


@asynccontextmanager
async def signed_in_socket(server: str, token: str | None) -> AsyncIterator[ClientConnection]:
    """A socket past connection_init with the token (none: anonymous) and its ack."""
    async with websockets.connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL]) as ws:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert (await receive(ws))["type"] == "connection_ack"
        yield ws


async def receive(ws: ClientConnection) -> dict[str, Any]:
    frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
    # GraphQL WebSocket clients (graphql-ws) read text frames only.
    assert isinstance(frame, str), frame
    return json.loads(frame)


async def subscribe(
    ws: ClientConnection, query: str, variables: dict[str, Any] | None = None
) -> str:
    """Starts the operation; returns its id."""
    operation = uuid.uuid4().hex
    payload = {"query": query, "variables": variables or {}}
    await ws.send(json.dumps({"id": operation, "type": "subscribe", "payload": payload}))
    return operation


async def until_complete(ws: ClientConnection, operation: str) -> list[dict[str, Any]]:
    """The operation's messages up to and including its `complete` or `error`."""
    messages = []
    while True:
        message = await receive(ws)
        assert message.get("id") == operation, message
        messages.append(message)
        if message["type"] in ("complete", "error"):
            return messages
