"""A request body may cost at most its limit: refused before it is read when its length is
announced over the limit, cut off as soon as it passes the limit when it is streamed.

Starlette reads a JSON body whole into memory before Strawberry parses it, so without a
limit an unauthenticated 300 MB body costs 300 MB (and more to parse).
"""

from __future__ import annotations

from cross_web import HTTPException
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope


def announced_length(scope: Scope) -> int | None:
    length = Headers(scope=scope).get("content-length", "")
    return int(length) if length.isdigit() else None


def is_announced_over(scope: Scope, limit: int) -> bool:
    length = announced_length(scope)
    return length is not None and length > limit


def capped(receive: Receive, limit: int, refusal: HTTPException) -> Receive:
    """`receive` that raises `refusal` once the body has passed `limit` bytes."""
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise refusal
        return message

    return receive_within_limit
