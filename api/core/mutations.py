"""The one way a mutation runs: check the viewer, call the domain, answer with a payload.

Saleor's `BaseMutation.mutate` as a function: a resolver decodes its arguments and names
one domain call; `perform` asks for a viewer first (UNAUTHENTICATED, with its reason,
before anything is decoded or read) holding the scope the mutation needs (an API key
without it is FORBIDDEN, the scope named: WRITE unless the mutation says otherwise), and
puts the call's result, or the problems of the `DomainError` it raised (an id that decodes
to nothing included), into the payload.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry

from api.core.errors import UserError, errors_field, user_errors
from domain.errors import DomainError
from domain.viewer import Viewer
from models.enums import ApiKeyScope

if TYPE_CHECKING:
    from api.context import Info

PayloadT = TypeVar("PayloadT")
T = TypeVar("T")


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError] = errors_field()


async def perform(
    info: Info,
    payload: type[PayloadT],
    action: Callable[[Viewer], Awaitable[Any]],
    field: str | None = None,
    scope: ApiKeyScope = ApiKeyScope.WRITE,
) -> PayloadT:
    """`action(viewer)` answered as `payload`: its result in `field` (by default the
    payload's one field beside `errors`), or its domain problems in `errors` (the other
    fields null, or their declared default). `scope`: what an API key needs to run it."""
    viewer = info.context.require_viewer()
    values = _nothing(payload)
    answer: Callable[..., PayloadT] = payload  # a Strawberry type: a dataclass
    try:
        viewer.require_scope(scope)
        result = await action(viewer)
    except DomainError as error:
        return answer(**values, errors=user_errors(error))
    values[field or _only(payload)] = result
    return answer(**values, errors=[])


async def returning(value: T, work: Awaitable[object]) -> T:
    """`value` once `work` is done: a deletion answers with the id it was given."""
    await work
    return value


def _nothing(payload: type) -> dict[str, Any]:
    """The payload's fields beside `errors` as they are when nothing was done: their
    declared default (`queued: false`), else null. A fresh dict: `perform` fills it."""
    return dict(_defaults(payload))


@functools.cache  # a payload type's fields do not change: read them once, not per mutation
def _defaults(payload: type) -> tuple[tuple[str, Any], ...]:
    return tuple(
        (f.name, None if f.default is dataclasses.MISSING else f.default)
        for f in dataclasses.fields(payload)
        if f.name != "errors"
    )


def _only(payload: type) -> str:
    ((name, _),) = _defaults(payload)  # a payload of several fields names the one to fill
    return name
