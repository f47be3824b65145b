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


class CappedBody:
    """`receive` that raises `refusal` once the body has passed `limit` bytes.

    The limit may change until the body is read: the view knows who is calling (and so
    what they may send) only after its token lookup, which runs before the body is read.
    """

    def __init__(self, receive: Receive, limit: int, refusal: HTTPException) -> None:
        self._receive = receive
        self.limit = limit
        self.refusal = refusal
        self.received = 0

    def allow(self, limit: int, refusal: HTTPException, scope: Scope) -> None:
        """From now on the body may have `limit` bytes; refused at once if announced over."""
        self.limit, self.refusal = limit, refusal
        if is_announced_over(scope, limit):
            raise refusal

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise self.refusal
        return message


def capped(receive: Receive, limit: int, refusal: HTTPException) -> CappedBody:
    """`receive` that raises `refusal` once the body has passed `limit` bytes."""
    return CappedBody(receive, limit, refusal)
