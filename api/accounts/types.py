"""People: users and workspaces."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from api.context import Info
from api.core.errors import UserError, errors_field
from api.core.node import Node, node_by_loader
from api.core.types import model_is_type_of
from models import User as UserModel
from models import Workspace as WorkspaceModel
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


@strawberry.type
class WorkspacePayload:
    workspace: WorkspaceModel | None = strawberry.field(graphql_type=Workspace | None)
    errors: list[UserError] = errors_field()


@strawberry.type
class ApiKeyPayload:
    secret: str | None = strawberry.field(description="Shown once; only a hash is stored.")
    errors: list[UserError] = errors_field()
