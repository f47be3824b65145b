"""Teams, their members, shares and pools. `create_team` and `member` go through the
API (createTeam, inviteUser, moveUser); the `make_`/`put_in_` builders write the rows
those APIs write (a team's materialised `path`, a user's `team_id`, a `CustomerShare`,
a `CustomerPool`, a customer in a pool) in one step, for the visibility tests' scenes of
many teams and colleagues."""

from __future__ import annotations

from typing import Any

from models import Customer, CustomerPool, CustomerShare, Team, User
from tests.factories.accounts import invite, workspace_pk
from tests.factories.calls import mutate_ok
from tests.factories.ids import pk
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


async def make_team_tree(admin: Account, tree: dict[str, str | None]) -> dict[str, Team]:
    """Teams of the admin's workspace, each named with its parent's name (None: a root),
    parents before children: {"sales": None, "east": "sales", "shanghai": "east"}."""
    workspace_id = await workspace_pk(admin)
    teams: dict[str, Team] = {}
    for name, parent in tree.items():
        above = teams[parent] if parent is not None else None
        team = await Team.create(
            workspace_id=workspace_id, name=name, parent_id=above.id if above else None
        )
        team.path = f"{above.path if above else '/'}{team.id}/"
        await team.save(update_fields=["path"])
        teams[name] = team
    return teams


async def put_in_team(team: Team, *members: Account) -> None:
    """Makes the accounts members of `team` (a user belongs to one team)."""
    await User.filter(id__in=[pk(member.user_id) for member in members]).update(team_id=team.id)


async def make_share(customer_id: str, colleague: Account) -> None:
    """Shares the customer with a colleague (read-only access for them)."""
    customer = await Customer.get(id=pk(customer_id))
    await CustomerShare.create(
        workspace_id=customer.workspace_id, customer_id=customer.id, user_id=pk(colleague.user_id)
    )


async def make_pool(
    admin: Account,
    name: str = "公海",
    *,
    team: Team | None = None,
    mask_contacts: bool = True,
    is_default: bool = False,
) -> CustomerPool:
    """A pool of the admin's workspace: everyone's (team None) or a team's."""
    return await CustomerPool.create(
        workspace_id=await workspace_pk(admin),
        name=name,
        team_id=team.id if team else None,
        mask_contacts=mask_contacts,
        is_default=is_default,
    )


async def put_in_pool(customer_id: str, pool: CustomerPool | None = None) -> None:
    """Puts the customer in `pool` (None: the workspace's default pool) with no owner, as
    a return to the pool or a release leaves it."""
    updated = await Customer.filter(id=pk(customer_id)).update(
        owner_id=None, pool_id=pool.id if pool else None
    )
    assert updated == 1
