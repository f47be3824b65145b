"""People: users and workspaces."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.context import Info
from api.core.errors import UserError, errors_field
from api.core.node import Node, node_by_loader
from api.core.types import model_is_type_of
from domain.api_keys import keys_seen_by, scopes_of
from models import ApiKey as ApiKeyModel
from models import User as UserModel
from models import UserSession as UserSessionModel
from models import Workspace as WorkspaceModel
from models.enums import ApiKeyScope as ApiKeyScopeEnum
from models.enums import DeletePolicy as DeletePolicyEnum
from models.enums import Role as RoleEnum

if TYPE_CHECKING:
    from api.teams.types import Team
    from domain.viewer import Viewer

TeamType = Annotated["Team", strawberry.lazy("api.teams.types")]

# The domain's enums are the GraphQL enums: `strawberry.enum` registers the GraphQL
# name on the class itself, and the alias keeps it a type for the type checker.
Role = RoleEnum
strawberry.enum(Role, name="Role")
ApiKeyScope = ApiKeyScopeEnum
strawberry.enum(
    ApiKeyScope,
    name="ApiKeyScope",
    description="What an API key may do: READ (queries and subscriptions), WRITE (mutations "
    "other than imports), IMPORTS (startImport, cancelImport, uploads and error reports).",
)
DeletePolicy = DeletePolicyEnum
strawberry.enum(
    DeletePolicy,
    name="DeletePolicy",
    description="Who may delete a customer (with what hangs from it) or a deal: OWNER (its "
    "owner, their managers or an admin), MANAGER (the owner's managers or an admin), ADMIN.",
)


@strawberry.type
class User(Node):
    name: str
    email: str
    role: Role
    timezone: str = strawberry.field(
        description="IANA time zone name, e.g. Asia/Shanghai; reminders and reports use it."
    )
    is_type_of = model_is_type_of(UserModel)
    load_node = node_by_loader(lambda loaders: loaders.user_by_id)

    @strawberry.field(description="The user's team; null when in none.")
    @staticmethod
    async def team(parent: strawberry.Parent[UserModel], info: Info) -> TeamType | None:
        team_id = parent.team_id
        return None if team_id is None else await info.context.loaders.team_by_id.load(team_id)


@strawberry.type
class Workspace(Node):
    name: str
    timezone: str
    default_currency: str = strawberry.field(
        description="ISO 4217 code used when a product or deal names no currency."
    )
    delete_policy: DeletePolicy = strawberry.field(
        description="Who may delete customers and deals (`updateWorkspace` sets it)."
    )
    is_type_of = model_is_type_of(WorkspaceModel)

    @classmethod
    async def load_node(cls, info: Info, viewer: Viewer, pk: int) -> WorkspaceModel | None:
        # The viewer's own workspace is the only one they reach.
        return await WorkspaceModel.get_or_none(id=pk) if pk == viewer.workspace_id else None


@strawberry.type
class AuthPayload:
    token: str | None
    user: UserModel | None = strawberry.field(graphql_type=User | None)
    errors: list[UserError] = errors_field()


async def _user(info: Info, user_id: int | None) -> UserModel | None:
    return None if user_id is None else await info.context.loaders.user_by_id.load(user_id)


@strawberry.type(description="An integrator's key; its secret is shown once, at creation.")
class ApiKey(Node):
    name: str
    prefix: str = strawberry.field(
        description="The public start of the key's token (crm_<prefix>_…), to tell keys apart."
    )
    role: Role = strawberry.field(
        description="The key's role; it acts with the lower of this and its user's role."
    )
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(
        description="When the key was last used, to the minute."
    )
    revoked_at: datetime | None
    is_type_of = model_is_type_of(ApiKeyModel)

    @strawberry.field
    @staticmethod
    def scopes(parent: strawberry.Parent[ApiKeyModel]) -> list[ApiKeyScope]:
        return sorted(scopes_of(parent), key=list(ApiKeyScopeEnum).index)

    @strawberry.field(
        graphql_type=User | None,
        description="The user whose visibility the key has; null: the workspace (an ADMIN key).",
    )
    @staticmethod
    async def acts_as(parent: strawberry.Parent[ApiKeyModel], info: Info) -> UserModel | None:
        return await _user(info, parent.acts_as_id)

    @strawberry.field(graphql_type=User | None)
    @staticmethod
    async def created_by(parent: strawberry.Parent[ApiKeyModel], info: Info) -> UserModel | None:
        return await _user(info, parent.created_by_id)

    @classmethod
    async def load_node(cls, info: Info, viewer: Viewer, pk: int) -> ApiKeyModel | None:
        # The keys the viewer may list (an API key lists none: FORBIDDEN).
        return await ApiKeyModel.filter(keys_seen_by(viewer), id=pk).first()


@strawberry.type(description="A signed-in session of the viewer.")
class Session(Node):
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(
        description="When the session was last used, to the minute."
    )
    is_type_of = model_is_type_of(UserSessionModel)

    @strawberry.field(description="Whether this is the session the request came with.")
    @staticmethod
    def current(parent: strawberry.Parent[UserSessionModel], info: Info) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.session_id == parent.id

    @classmethod
    async def load_node(cls, info: Info, viewer: Viewer, pk: int) -> UserSessionModel | None:
        if viewer.api_key_id is not None or viewer.user_id is None:
            return None
        return await UserSessionModel.get_or_none(id=pk, user_id=viewer.user_id, ended_at=None)


@strawberry.type
class WorkspacePayload:
    workspace: WorkspaceModel | None = strawberry.field(graphql_type=Workspace | None)
    errors: list[UserError] = errors_field()


@strawberry.type
class ApiKeyPayload:
    secret: str | None = strawberry.field(description="Shown once; only a hash is stored.")
    api_key: ApiKeyModel | None = strawberry.field(graphql_type=ApiKey | None, default=None)
    errors: list[UserError] = errors_field()


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKeyModel | None = strawberry.field(graphql_type=ApiKey | None)
    errors: list[UserError] = errors_field()


@strawberry.type
class LogoutPayload:
    ended_sessions: int = strawberry.field(
        default=0, description="How many sessions this ended (their tokens are refused now)."
    )
    errors: list[UserError] = errors_field()


@strawberry.type
class UserPayload:
    user: UserModel | None = strawberry.field(graphql_type=User | None)
    errors: list[UserError] = errors_field()
