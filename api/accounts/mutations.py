"""Sign-up, sign-in, inviting colleagues and issuing integrator keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from starlette.requests import HTTPConnection

from api.accounts.throttle import (
    ask_to_retry_after,
    client_address,
    second_password_field,
    sign_in_throttle,
    sign_up_throttle,
)
from api.accounts.types import (
    ApiKeyPayload,
    ApiKeyScope,
    AuthPayload,
    LogoutPayload,
    RevokeApiKeyPayload,
    Role,
    UserPayload,
)
from api.context import Info
from api.core.errors import ClientError, UserError, user_errors
from api.core.ids import decode_id, decode_optional_id, from_global_id, to_global_id
from api.core.mutations import perform
from crm.settings import get_settings
from domain import accounts, api_keys, sessions
from domain.accounts import SeveralWorkspaces
from domain.errors import DomainError, ErrorCode
from domain.sign_in_throttle import Throttled
from domain.viewer import Viewer
from models import ApiKey as ApiKeyModel
from models import User as UserModel
from models.enums import Role as RoleEnum

# No workspace has this id: a malformed or foreign workspaceId opens no account, and is
# answered like a wrong password rather than telling which ids exist.
_NO_WORKSPACE = 0


def _workspace_pk(workspace_id: strawberry.ID | None) -> int | None:
    if workspace_id is None:
        return None
    try:
        type_name, pk = from_global_id(workspace_id)
    except ValueError:
        return _NO_WORKSPACE
    return pk if type_name == "Workspace" else _NO_WORKSPACE


def _name_a_workspace(error: SeveralWorkspaces) -> UserError:
    # The domain names the workspaces; the client needs their ids to name one.
    listed = ", ".join(
        f"{workspace.name} ({to_global_id('Workspace', workspace.id)})"
        for workspace in error.workspaces
    )
    return UserError(
        field="workspaceId",
        message="This e-mail and password open several workspaces; sign in again with "
        f"workspaceId, one of: {listed}.",
        code=ErrorCode.REQUIRED,
    )


async def _sign_in(
    info: Info, attempt: Callable[[HTTPConnection], Awaitable[UserModel]]
) -> AuthPayload:
    """A session for whoever `attempt` signs up or in on this request, or why not: one
    password-hashing field a request, and a throttled attempt tells when to retry."""
    connection = info.context.request
    if refused := second_password_field(connection):
        return AuthPayload(token=None, user=None, errors=[refused])
    try:
        user = await attempt(connection)
    except Throttled as error:
        ask_to_retry_after(info.context.response, error.retry_after)
        return AuthPayload(token=None, user=None, errors=user_errors(error))
    except SeveralWorkspaces as error:
        return AuthPayload(token=None, user=None, errors=[_name_a_workspace(error)])
    except DomainError as error:
        return AuthPayload(token=None, user=None, errors=user_errors(error))
    token = await info.context.authenticator.issue(user)
    return AuthPayload(token=token, user=user, errors=[])


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Creates a workspace and its first ADMIN user; can be turned off by "
        "configuration. Sign-ups from one address are limited (RATE_LIMITED, with an HTTP "
        "Retry-After header); one sign-in or sign-up per request."
    )
    async def sign_up(
        self,
        info: Info,
        workspace_name: str,
        name: str,
        email: str,
        password: str,
        timezone: str | None = None,
    ) -> AuthPayload:
        if not get_settings().allow_signup:
            raise ClientError("Sign-up is turned off on this server.", "FORBIDDEN")
        return await _sign_in(
            info,
            lambda connection: accounts.sign_up(
                workspace_name=workspace_name,
                name=name,
                email=email,
                password=password,
                timezone=timezone,
                client_address=client_address(connection),
                throttle=sign_up_throttle(connection),
            ),
        )

    @strawberry.mutation(
        description="Signs in by e-mail and password. An e-mail may have accounts in several "
        "workspaces: when the password opens more than one, name it with `workspaceId`. "
        "Without it, at most five of the e-mail's accounts are checked, those most recently "
        "signed into first. "
        "Repeated failures for an e-mail or from an address, or too many attempts from an "
        "address, are refused for a while (RATE_LIMITED, with an HTTP Retry-After header); "
        "one sign-in or sign-up per request."
    )
    async def login(
        self,
        info: Info,
        email: str,
        password: str,
        workspace_id: strawberry.ID | None = None,
    ) -> AuthPayload:
        return await _sign_in(
            info,
            lambda connection: accounts.log_in(
                email,
                password,
                workspace_id=_workspace_pk(workspace_id),
                client_address=client_address(connection),
                throttle=sign_in_throttle(connection),
            ),
        )

    @strawberry.mutation(
        description="Adds a colleague to the viewer's workspace (MANAGER or ADMIN), in "
        "`teamId` when given (a MANAGER: one of their own teams)."
    )
    async def invite_user(
        self,
        info: Info,
        name: str,
        email: str,
        password: str,
        role: Role = RoleEnum.REP,
        team_id: strawberry.ID | None = None,
    ) -> AuthPayload:
        # The invitee signs in with their own password; no token is issued on their behalf.
        return await perform(
            info,
            AuthPayload,
            lambda viewer: accounts.invite_user(
                viewer,
                name=name,
                email=email,
                password=password,
                role=role,
                team_id=decode_optional_id(team_id, "Team", "teamId"),
            ),
            field="user",
        )

    @strawberry.mutation(
        description="A key for an integrator (MANAGER or ADMIN), acting as a user of the "
        "viewer's workspace: that user's visibility, with the lower of the key's role and "
        "theirs. By default it acts as its creator; an ADMIN may name anyone, a MANAGER "
        "someone they manage; an ADMIN key may act as the workspace instead "
        "(`actsAsWorkspace`). A key acting as a deactivated user is refused (REVOKED)."
    )
    async def create_api_key(
        self,
        info: Info,
        name: str,
        role: Role = RoleEnum.REP,
        scopes: Annotated[
            list[ApiKeyScope] | None,
            strawberry.argument(description="What the key may do; null: READ, WRITE and IMPORTS."),
        ] = None,
        acts_as_user_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The user the key acts as; null: the viewer."),
        ] = None,
        acts_as_workspace: Annotated[
            bool,
            strawberry.argument(
                description="An ADMIN key acting as the workspace (it sees everything)."
            ),
        ] = False,
    ) -> ApiKeyPayload:
        shown: list[str] = []  # the secret, beside the key the payload carries

        async def create(viewer: Viewer) -> ApiKeyModel:
            key, secret = await api_keys.create_api_key(
                viewer,
                name=name,
                role=role,
                scopes=scopes,
                acts_as_user_id=decode_optional_id(acts_as_user_id, "User", "actsAsUserId"),
                acts_as_workspace=acts_as_workspace,
            )
            shown.append(secret)
            return key

        answered = await perform(info, ApiKeyPayload, create, field="api_key")
        answered.secret = shown[0] if shown else None
        return answered

    @strawberry.mutation(
        description="Revokes an API key (ADMIN, or the key's creator): its token is refused "
        "from now on (REVOKED). Revoking a revoked key changes nothing."
    )
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> RevokeApiKeyPayload:
        return await perform(
            info,
            RevokeApiKeyPayload,
            lambda viewer: api_keys.revoke_api_key(
                viewer, decode_id(id, "ApiKey", "id", "API key")
            ),
        )

    @strawberry.mutation(
        description="Ends the session the request came with: its token is refused from now "
        "on (REVOKED); the user's other sessions go on."
    )
    async def logout(self, info: Info) -> LogoutPayload:
        return await perform(info, LogoutPayload, sessions.end_session)

    @strawberry.mutation(
        description="Signs the viewer out everywhere: every session of theirs ends, this one "
        "included. API keys acting as them are not sessions: revoke those with revokeApiKey."
    )
    async def logout_everywhere(self, info: Info) -> LogoutPayload:
        return await perform(info, LogoutPayload, sessions.end_all_sessions)

    @strawberry.mutation(
        description="Deactivates a colleague (ADMIN): they can no longer sign in, their "
        "sessions end and the API keys acting as them are revoked. Their records stay."
    )
    async def deactivate_user(self, info: Info, id: strawberry.ID) -> UserPayload:
        return await perform(
            info,
            UserPayload,
            lambda viewer: sessions.deactivate_user(viewer, decode_id(id, "User", "id")),
        )
