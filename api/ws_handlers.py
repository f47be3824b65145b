"""Strawberry's WebSocket protocol handlers, made to refuse malformed messages instead of failing.

Strawberry 0.341 reads a message as a dict with the fields its protocol names: a JSON
array, a number, or a `subscribe` whose `payload` or `id` is not of the right type raised
a TypeError out of the handler (an "Exception in ASGI application", the socket dropped
with 1011). Here such a message is what the protocol calls invalid: graphql-transport-ws
closes with 4400, the legacy graphql-ws ignores it as it ignores unparseable JSON.

A failure in `connection_init` that is not a refusal of the token (the database lost
during the lookup) closes the socket with 4500 and a request id, logged at ERROR as a
masked error over HTTP is.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage as TransportInitMessage,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message as TransportMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.types import (
    OperationMessage as LegacyMessage,
)

from api.context import Context

log = logging.getLogger("crm.api")

# The messages that carry an operation, in each protocol.
_OPERATION_TYPES = {"subscribe", "start"}
# WebSocket close codes of 4000-4999 are the application's; graphql-ws uses 4500 for
# "internal server error".
INTERNAL_ERROR = 4500


def is_well_formed(message: Any) -> bool:
    """A dict with a string `type`, a string `id` if any, and an operation payload (a `query`
    string, `variables` an object) where the message type carries one."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return False
    if "id" in message and not isinstance(message["id"], str):
        return False
    if message["type"] not in _OPERATION_TYPES:
        return True
    payload = message.get("payload")
    return (
        isinstance(message.get("id"), str)
        and isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and isinstance(payload.get("variables"), (dict, type(None)))
        and isinstance(payload.get("operationName"), (str, type(None)))
    )


def _reason(context: Context) -> str:
    return f"Unexpected error (request {context.request_id})."


async def _init_failed(connection_init: Awaitable[None], context: Context) -> bool:
    """Runs the protocol's own `connection_init`; True, logged, when it failed unexpectedly
    (each protocol then tells the client its own way)."""
    try:
        await connection_init
    except WebSocketDisconnected:
        raise  # the client left: nobody to tell
    except Exception:
        log.error(
            "unexpected error in connection_init (request %s)", context.request_id, exc_info=True
        )
        return True
    return False


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_message(self, message: TransportMessage) -> None:
        if not is_well_formed(message):
            await self.handle_invalid_message("Failed to parse message")
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: TransportInitMessage) -> None:
        if await _init_failed(super().handle_connection_init(message), self.context):
            await self.websocket.close(code=INTERNAL_ERROR, reason=_reason(self.context))


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    async def handle_message(self, message: LegacyMessage) -> None:
        if is_well_formed(message):
            await super().handle_message(message)

    async def handle_connection_init(self, message: LegacyInitMessage) -> None:
        if await _init_failed(super().handle_connection_init(message), self.context):
            await self.send_message(
                {
                    "type": "connection_error",
                    "payload": {
                        "message": "Unexpected error.",
                        "extensions": {"code": "INTERNAL", "requestId": self.context.request_id},
                    },
                }
            )
            await self.websocket.close(code=1011, reason=_reason(self.context))
