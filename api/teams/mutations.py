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

    @strawberry.mutation(description="Puts a user in a team; a null `teamId`: in no team.")
    async def move_user(
        self, info: Info, user_id: strawberry.ID, team_id: strawberry.ID | None
    ) -> MoveUserPayload:
        return await perform(
            info,
            MoveUserPayload,
            lambda viewer: teams.move_user(
                viewer,
                decode_id(user_id, "User", "userId"),
                decode_optional_id(team_id, "Team", "teamId"),
            ),
        )

    @strawberry.mutation(description="Changes the workspace's settings (ADMIN).")
    async def update_workspace(self, info: Info, input: WorkspacePatch) -> WorkspacePayload:
        return await perform(
            info,
            WorkspacePayload,
            lambda viewer: teams.update_workspace(viewer, input.to_changes()),
        )
