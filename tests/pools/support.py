"""Builders of the pool tests: pooled customers, teams put together by hand."""

from __future__ import annotations

from typing import Any

from models import Team, User
from tests.factories import create_customer, mutate_ok, pk
from tests.helpers import Account, GraphQL


async def pooled_customer(gql: GraphQL, admin: Account, **fields: Any) -> dict[str, Any]:
    """A customer the admin created, then released to the default pool."""
    customer = await create_customer(gql, admin, **fields)
    await mutate_ok(gql, admin, "releaseCustomer", id=customer["id"], reason="no budget")
    return customer


async def pool_of(gql: GraphQL, admin: Account, **rules: Any) -> dict[str, Any]:
    """A pool of the admin's workspace with these rules (and a name of its own)."""
    rules.setdefault("name", f"pool {len(rules)}-{id(rules)}")
    return (await mutate_ok(gql, admin, "createPool", input=rules))["pool"]


async def team_by_hand(account: Account, name: str, *members: Account) -> Team:
    """A team of the account's workspace with these members, written past the (separate)
    teams API."""
    user = await User.get(id=pk(account.user_id))
    team = await Team.create(workspace_id=user.workspace_id, name=name)
    team.path = f"/{team.id}/"
    await team.save()
    for member in members:
        await User.filter(id=pk(member.user_id)).update(team_id=team.id)
    return team
