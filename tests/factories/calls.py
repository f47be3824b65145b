"""Running a shared mutation by name and taking its payload."""

from __future__ import annotations

from typing import Any

from tests.documents import document
from tests.helpers import Account, GraphQL


def _token(who: Account | str | None) -> str | None:
    return who.token if isinstance(who, Account) else who


async def mutate(
    gql: GraphQL, who: Account | str | None, operation: str, **variables: Any
) -> dict[str, Any]:
    """The payload of the shared document `operation` (errors in it not checked)."""
    result = await gql.execute(document(operation), variables, _token(who))
    return result.ok()[operation]


async def mutate_ok(
    gql: GraphQL, who: Account | str | None, operation: str, **variables: Any
) -> dict[str, Any]:
    """The payload of the shared document `operation`, which must report no errors."""
    payload = await mutate(gql, who, operation, **variables)
    assert payload["errors"] == [], payload["errors"]
    return payload
