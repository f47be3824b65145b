"""The teams' loaders: teams by id, a team's sub-teams, a team's members."""

from __future__ import annotations

from api.core.loaders import by_id, first_by, pages_by
from domain.teams import MAX_TEAMS
from models import Team, User

MEMBER_ORDER = (("name", False), ("id", False))


class TeamLoaders:
    def __init__(self, workspace_id: int) -> None:
        self.team_by_id = by_id(Team, workspace_id)
        self.teams_by_parent = first_by(Team, "parent_id", workspace_id, MEMBER_ORDER, MAX_TEAMS)
        self.members_by_team = pages_by(User, "team_id", MEMBER_ORDER, workspace_id)
