"""The signed-in user and their workspace."""

from __future__ import annotations

import strawberry

from api.accounts.types import User, Workspace
from api.context import Info
from api.core.errors import ClientError
from models import Workspace as WorkspaceModel


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in user.")
    async def viewer(self, info: Info) -> User:
        viewer = info.context.require_viewer()
        if viewer.user_id is None:
            raise ClientError("An API key acts for a workspace, not a user.", "NO_USER")
        return await info.context.loaders.user_by_id.load(viewer.user_id)

    @strawberry.field(graphql_type=Workspace)
    async def workspace(self, info: Info) -> WorkspaceModel:
        viewer = info.context.require_viewer()
        return await WorkspaceModel.get(id=viewer.workspace_id)
