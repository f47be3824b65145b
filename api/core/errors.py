"""How failures reach clients: typed `UserError`s in payloads, or unmasked client errors.

Anything else raised in a resolver is masked as "Unexpected error" with the
request id, and logged with its traceback (see `api.schema`).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from api.core.list_bounds import at_most
from domain.accounts import TokenRefused
from domain.errors import DomainError
from domain.errors import ErrorCode as DomainErrorCode

# The domain's enums are the GraphQL enums: `strawberry.enum` registers the GraphQL
# name on the class itself, and the alias keeps it a type for the type checker.
ErrorCode = DomainErrorCode
strawberry.enum(ErrorCode, name="ErrorCode")
# A payload lists the first problems found: enough to fix a form, and a bounded list however
# much a client sent wrong at once.
MAX_USER_ERRORS = 100


@strawberry.type(
    description="A problem with the input of a mutation, for the client to show next to the field."
)
class UserError:
    field: str | None = strawberry.field(
        description='The input field at fault, as a dotted path (e.g. "input.email"); '
        "null when it concerns the whole input."
    )
    message: str
    code: ErrorCode


def user_errors(error: DomainError) -> list[UserError]:
    problems = error.problems[:MAX_USER_ERRORS]
    return [UserError(field=p.field, message=p.message, code=p.code) for p in problems]


def errors_field() -> Any:
    """A payload's `errors`, declared with their bound."""
    return strawberry.field(
        description=f"What was wrong with the input, in the order found (the first "
        f"{MAX_USER_ERRORS}).",
        metadata=at_most(MAX_USER_ERRORS),
    )


class ClientError(GraphQLError):
    """A top-level error that is the client's to fix (bad paging, no token); never masked."""

    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


# Why a request stands for nobody (`extensions.reason` of UNAUTHENTICATED): no header, one
# that is not "Bearer <token>", or a token the domain refused (domain.accounts.TokenRefused).
MISSING = "MISSING"
MALFORMED = "MALFORMED"
SIGN_IN_REFUSALS = {
    MISSING: "Sign in first: send Authorization: Bearer <token>.",
    MALFORMED: "The Authorization header is not of the form Bearer <token>.",
    TokenRefused.UNKNOWN_TOKEN: "This token is not one this server issued (mistyped, or cut "
    "short?): sign in again, or send a current API key.",
    TokenRefused.EXPIRED: "This session has expired: sign in again.",
    TokenRefused.REVOKED: "This token has been revoked (its API key, or the account it signed "
    "in, is no longer active).",
}


def unauthenticated(reason: str = MISSING) -> ClientError:
    """Sign in first, saying what was wrong with what was sent (each reason its message)."""
    return ClientError(SIGN_IN_REFUSALS[reason], "UNAUTHENTICATED", reason=str(reason))
