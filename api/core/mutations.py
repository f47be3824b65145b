"""The one way a mutation turns domain outcomes into a payload.

Resolvers stay thin: decode arguments, call one domain function, and let
`respond` put the result or the domain's problems into the payload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from api.core.errors import user_errors
from domain.errors import DomainError

PayloadT = TypeVar("PayloadT")


async def respond(
    payload: type[PayloadT], field: str, action: Callable[[], Awaitable[Any]]
) -> PayloadT:
    try:
        result = await action()
    except DomainError as error:
        return payload(**{field: None, "errors": user_errors(error)})
    return payload(**{field: result, "errors": []})
