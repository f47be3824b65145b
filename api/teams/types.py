"""Teams (departments): a tree, each user in at most one."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.accounts.types import User
from api.context import Info
from api.core.errors import UserError, errors_field
from api.core.list_bounds import at_most
from api.core.node import Node, node_by_loader
from api.core.pagination import Connection, child_connection
from api.core.types import model_is_type_of
from domain.teams import MAX_TEAMS, depth_of
from models import Team as TeamModel
from models import User as UserModel


@strawberry.type(description="A department. A MANAGER manages their team and every team below it.")
class Team(Node):
    name: str
    created_at: datetime
    is_type_of = model_is_type_of(TeamModel)
    load_node = node_by_loader(lambda loaders: loaders.team_by_id)

    @strawberry.field(description="The team above; null for a root team.")
    @staticmethod
    async def parent(parent: strawberry.Parent[TeamModel], info: Info) -> Team | None:
        above = parent.parent_id
        return None if above is None else await info.context.loaders.team_by_id.load(above)

    @strawberry.field(description="1 for a root team, 2 for a team under it, and so on.")
    @staticmethod
    def depth(parent: strawberry.Parent[TeamModel]) -> int:
        return depth_of(parent)

    @strawberry.field(description="The teams right below, by name.", metadata=at_most(MAX_TEAMS))
    @staticmethod
    async def children(parent: strawberry.Parent[TeamModel], info: Info) -> list[Team]:
        return await info.context.loaders.teams_by_parent.load(parent.pk)

    @strawberry.field(description="The users in this team (not those of teams below), by name.")
    @staticmethod
    async def members(
        parent: strawberry.Parent[TeamModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[User]:
        return await child_connection(info.context.loaders.members_by_team, parent.pk, first, after)


@strawberry.type
class TeamPayload:
    team: Team | None
    errors: list[UserError] = errors_field()


@strawberry.type
class MoveUserPayload:
    user: UserModel | None = strawberry.field(graphql_type=User | None)
    errors: list[UserError] = errors_field()
