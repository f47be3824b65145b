"""Members, API keys and the viewer a domain function takes."""

from __future__ import annotations

import uuid
from typing import Any

from domain.viewer import Viewer
from models import User
from tests.factories.calls import mutate_ok
from tests.factories.ids import pk
from tests.helpers import Account, GraphQL


async def invite(
    gql: GraphQL, admin: Account, role: str = "REP", name: str | None = None
) -> Account:
    """A colleague in the admin's workspace, signed in with their own password."""
    email = f"{role.lower()}-{uuid.uuid4().hex[:10]}@example.com"
    password = "another horse battery"
    await mutate_ok(
        gql,
        admin,
        "inviteUser",
        name=name or f"{role} 同事",
        email=email,
        password=password,
        role=role,
    )
    login = await mutate_ok(gql, None, "login", email=email, password=password)
    return Account(login["token"], login["user"]["id"], email, password)


async def create_api_key(
    gql: GraphQL, account: Account, name: str = "ERP", role: str = "REP", **options: Any
) -> str:
    """A new API key of the account's workspace (`options`: scopes, actsAsUserId,
    actsAsWorkspace); returns its secret."""
    payload = await mutate_ok(gql, account, "createApiKey", name=name, role=role, **options)
    return payload["secret"]


async def viewer_of(account: Account) -> Viewer:
    """The account as domain functions see it (its workspace, role and user)."""
    user = await User.get(id=pk(account.user_id))
    return Viewer(workspace_id=user.workspace_id, role=user.role, user_id=user.id)


async def workspace_pk(account: Account) -> int:
    return (await User.get(id=pk(account.user_id))).workspace_id
