"""The signed-in user, their workspace, their sessions and the workspace's API keys."""

from __future__ import annotations

import strawberry

from api.accounts.types import ApiKey, Session, User, Workspace
from api.context import Info
from api.core.errors import ClientError
from api.core.list_bounds import at_most
from api.core.pagination import Connection, Ordering, paginate
from domain.api_keys import keys_seen_by
from domain.errors import DomainError
from domain.sessions import MAX_LISTED_SESSIONS, sessions_of
from models import ApiKey as ApiKeyModel
from models import UserSession as UserSessionModel
from models import Workspace as WorkspaceModel


def _refused(error: DomainError) -> ClientError:
    return ClientError(error.problems[0].message, error.problems[0].code.value)


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in user.")
    async def viewer(self, info: Info) -> User:
        viewer = info.context.require_viewer()
        if viewer.user_id is None:
            raise ClientError("This API key acts as the workspace, not a user.", "NO_USER")
        return await info.context.loaders.user_by_id.load(viewer.user_id)

    @strawberry.field(graphql_type=Workspace)
    async def workspace(self, info: Info) -> WorkspaceModel:
        viewer = info.context.require_viewer()
        return await WorkspaceModel.get(id=viewer.workspace_id)

    @strawberry.field(
        description="API keys, newest first: an ADMIN sees every key of the workspace, "
        "anyone else the keys they created and those acting as them. Never their secrets."
    )
    async def api_keys(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ApiKey]:
        viewer = info.context.require_viewer()
        try:
            seen = keys_seen_by(viewer)
        except DomainError as error:
            raise _refused(error) from None
        keys = ApiKeyModel.filter(seen)
        return await paginate(keys, Ordering("id", descending=True), first=first, after=after)

    @strawberry.field(
        description=f"The viewer's open sessions, newest first (at most {MAX_LISTED_SESSIONS}).",
        metadata=at_most(MAX_LISTED_SESSIONS),
        graphql_type=list[Session],
    )
    async def sessions(self, info: Info) -> list[UserSessionModel]:
        viewer = info.context.require_viewer()
        try:
            return await sessions_of(viewer)
        except DomainError as error:
            raise _refused(error) from None
