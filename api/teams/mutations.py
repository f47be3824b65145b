"""Making and moving teams, placing users in them, and the workspace's settings."""

from __future__ import annotations

import strawberry

from api.accounts.types import WorkspacePayload
from api.context import Info
from api.core.ids import decode_id, decode_optional_id
from api.core.mutations import perform
from api.teams.inputs import TeamInput, TeamPatch, WorkspacePatch
from api.teams.types import MoveUserPayload, TeamPayload
from domain import teams
from domain.errors import DomainError, ErrorCode
from domain.viewer import Viewer
from models import User as UserModel

_SAY_WHICH_TEAM = "Say which team, or null for none."


@strawberry.type
class TeamMutations:
    @strawberry.mutation(
        description="A team under `parentId` (a MANAGER: within their own teams), or a root "
        "team (an ADMIN). Names are unique under one parent (DUPLICATE)."
    )
    async def create_team(self, info: Info, input: TeamInput) -> TeamPayload:
        return await perform(
            info,
            TeamPayload,
            lambda viewer: teams.create_team(viewer, input.name, input.parent_pk()),
        )

    @strawberry.mutation(
        description="Renames or moves a team with everything below it. Moving it under "
        "itself or a team below it is refused (CYCLE)."
    )
    async def update_team(self, info: Info, id: strawberry.ID, input: TeamPatch) -> TeamPayload:
        return await perform(
            info,
            TeamPayload,
            lambda viewer: teams.update_team(
                viewer, decode_id(id, "Team", "id"), input.to_changes()
            ),
        )

    @strawberry.mutation(
        description="Puts a user in a team; `teamId: null` takes them out of every team "
        "(`teamId` must be given either way)."
    )
    async def move_user(
        self, info: Info, user_id: strawberry.ID, team_id: strawberry.ID | None = strawberry.UNSET
    ) -> MoveUserPayload:
        async def move(viewer: Viewer) -> UserModel:
            if team_id is strawberry.UNSET:
                # Left out by mistake, it must not read as "in no team".
                raise DomainError.single("teamId", _SAY_WHICH_TEAM, ErrorCode.REQUIRED)
            return await teams.move_user(
                viewer,
                decode_id(user_id, "User", "userId"),
                decode_optional_id(team_id, "Team", "teamId"),
            )

        return await perform(info, MoveUserPayload, move)

    @strawberry.mutation(description="Changes the workspace's settings (ADMIN).")
    async def update_workspace(self, info: Info, input: WorkspacePatch) -> WorkspacePayload:
        return await perform(
            info,
            WorkspacePayload,
            lambda viewer: teams.update_workspace(viewer, input.to_changes()),
        )
