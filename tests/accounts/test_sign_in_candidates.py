"""An e-mail may have accounts in many workspaces (anyone may sign one up with any e-mail):
a sign-in without a workspace checks at most 5 of them, the oldest, so that planting an
e-mail in many workspaces does not make each attempt for it cost many Argon2 checks."""

import asyncio
import time
import uuid

from argon2 import PasswordHasher

from api.core.ids import to_global_id
from domain.accounts import MAX_SIGN_IN_CANDIDATES
from domain.passwords import hash_password
from models import User, Workspace
from models.enums import Role
from tests.helpers import GraphQL

LOGIN = """
mutation Login($email: String!, $password: String!, $workspaceId: ID) {
  login(email: $email, password: $password, workspaceId: $workspaceId) {
    token
    user { id }
    errors { field code }
  }
}
"""


async def _accounts(email: str, password_hash: str, count: int) -> list[User]:
    users = []
    for n in range(count):
        workspace = await Workspace.create(name=f"Planted {n}")
        users.append(
            await User.create(
                workspace=workspace,
                name="Ada",
                email=email,
                password_hash=password_hash,
                role=Role.ADMIN,
            )
        )
    return users


async def test_one_attempt_checks_at_most_five_accounts(gql: GraphQL):
    # given: 30 accounts with one e-mail, hashed at production's Argon2 cost
    email = f"planted-{uuid.uuid4().hex[:8]}@example.com"
    hashed = await asyncio.to_thread(PasswordHasher().hash, "their own password")
    await _accounts(email, hashed, 30)
    started = time.perf_counter()
    await asyncio.to_thread(PasswordHasher().verify, hashed, "their own password")
    one_check = time.perf_counter() - started

    # when
    started = time.perf_counter()
    payload = (await gql.execute(LOGIN, {"email": email, "password": "a guess"})).ok()["login"]
    elapsed = time.perf_counter() - started

    # then: five checks (in parallel threads); all 30 would take 15 checks' time on 2 cores
    assert [e["code"] for e in payload["errors"]] == ["INVALID"]
    print(f"one attempt on an e-mail of 30 accounts: {elapsed:.2f} s, one check {one_check:.3f} s")
    assert elapsed < 8 * one_check + 0.5


async def test_a_newer_account_beyond_the_five_signs_in_naming_its_workspace(gql: GraphQL):
    # given: six accounts with one e-mail; only the newest has this password
    email = f"many-{uuid.uuid4().hex[:8]}@example.com"
    others = await _accounts(email, await hash_password("someone else's"), MAX_SIGN_IN_CANDIDATES)
    (newest,) = await _accounts(email, await hash_password("the newest one's"), 1)
    assert newest.id > max(user.id for user in others)
    variables = {"email": email, "password": "the newest one's"}

    # when
    unnamed = (await gql.execute(LOGIN, variables)).ok()["login"]
    workspace_id = to_global_id("Workspace", newest.workspace_id)
    named = (await gql.execute(LOGIN, variables | {"workspaceId": workspace_id})).ok()["login"]

    # then
    assert [e["code"] for e in unnamed["errors"]] == ["INVALID"]
    assert named["errors"] == [] and named["user"]["id"] == to_global_id("User", newest.id)
