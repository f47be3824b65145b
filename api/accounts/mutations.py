"""Sign-up, sign-in, inviting colleagues and issuing integrator keys."""

from __future__ import annotations

import strawberry

from api.accounts.types import ApiKeyPayload, AuthPayload, Role
from api.context import Info
from api.core.errors import ClientError, user_errors
from crm.settings import get_settings
from domain import accounts
from domain.errors import DomainError
from models.enums import Role as RoleEnum


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Creates a workspace and its first ADMIN user; can be turned off by "
        "configuration."
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
        try:
            user = await accounts.sign_up(
                workspace_name=workspace_name,
                name=name,
                email=email,
                password=password,
                timezone=timezone,
            )
        except DomainError as error:
            return AuthPayload(token=None, user=None, errors=user_errors(error))
        return AuthPayload(token=info.context.authenticator.issue(user), user=user, errors=[])

    @strawberry.mutation
    async def login(self, info: Info, email: str, password: str) -> AuthPayload:
        try:
            user = await accounts.log_in(email, password)
        except DomainError as error:
            return AuthPayload(token=None, user=None, errors=user_errors(error))
        return AuthPayload(token=info.context.authenticator.issue(user), user=user, errors=[])

    @strawberry.mutation(
        description="Adds a colleague to the viewer's workspace (MANAGER or ADMIN)."
    )
    async def invite_user(
        self, info: Info, name: str, email: str, password: str, role: Role = RoleEnum.REP
    ) -> AuthPayload:
        viewer = info.context.require_viewer()
        try:
            user = await accounts.invite_user(
                viewer, name=name, email=email, password=password, role=role
            )
        except DomainError as error:
            return AuthPayload(token=None, user=None, errors=user_errors(error))
        # The invitee signs in with their own password; no token is issued on their behalf.
        return AuthPayload(token=None, user=user, errors=[])

    @strawberry.mutation(
        description="A key for an integrator, acting with the given role in the viewer's workspace."
    )
    async def create_api_key(
        self, info: Info, name: str, role: Role = RoleEnum.REP
    ) -> ApiKeyPayload:
        viewer = info.context.require_viewer()
        try:
            _, secret = await accounts.create_api_key(viewer, name=name, role=role)
        except DomainError as error:
            return ApiKeyPayload(secret=None, errors=user_errors(error))
        return ApiKeyPayload(secret=secret, errors=[])
