"""Teams, and colleagues placed in them, through the API."""

from __future__ import annotations

from typing import Any

from tests.factories.accounts import invite
from tests.factories.calls import mutate_ok
from tests.helpers import Account, GraphQL


async def create_team(
    gql: GraphQL, admin: Account, name: str, parent_id: str | None = None
) -> dict[str, Any]:
    """A team made with createTeam; returns the team."""
    payload = await mutate_ok(gql, admin, "createTeam", input={"name": name, "parentId": parent_id})
    return payload["team"]


async def member(gql: GraphQL, admin: Account, team_id: str | None, role: str = "REP") -> Account:
    """A colleague invited by the admin, then put in `team_id` with moveUser."""
    account = await invite(gql, admin, role)
    if team_id is not None:
        await mutate_ok(gql, admin, "moveUser", userId=account.user_id, teamId=team_id)
    return account
