"""Reading the workspace's teams."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.core.list_bounds import at_most
from api.teams.types import Team
from domain import teams
from domain.teams import MAX_TEAMS
from models import Team as TeamModel


@strawberry.type
class TeamQueries:
    @strawberry.field(
        description=f"The workspace's teams, each parent before its children; at most {MAX_TEAMS}.",
        metadata=at_most(MAX_TEAMS),
        graphql_type=list[Team],
    )
    async def teams(self, info: Info) -> list[TeamModel]:
        return await teams.teams_of(info.context.require_viewer())
