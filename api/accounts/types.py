"""People: users and workspaces."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from api.core.errors import UserError, errors_field
from api.core.node import Node, node_by_loader
from api.core.types import model_is_type_of
from models import User as UserModel
from models import Workspace as WorkspaceModel
from models.enums import Role as RoleEnum

if TYPE_CHECKING:
    from api.context import Info
    from domain.viewer import Viewer

# The domain's enums are the GraphQL enums: `strawberry.enum` registers the GraphQL
# name on the class itself, and the alias keeps it a type for the type checker.
Role = RoleEnum
strawberry.enum(Role, name="Role")


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


@strawberry.type
class Workspace(Node):
    name: str
    timezone: str
    default_currency: str = strawberry.field(
        description="ISO 4217 code used when a product or deal names no currency."
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
class ApiKeyPayload:
    secret: str | None = strawberry.field(description="Shown once; only a hash is stored.")
    errors: list[UserError] = errors_field()
