"""An e-mail may have accounts in many workspaces (anyone may sign one up with any e-mail):
a sign-in without a workspace checks at most 5 of them, so that planting an e-mail in many
workspaces does not make each attempt for it cost many Argon2 checks; those most recently
signed into come first, then those never signed into, newest first, so that accounts
planted and left alone do not shut out the one its owner uses."""

import uuid
from datetime import UTC, datetime, timedelta

from api.core.ids import to_global_id
from domain.accounts import MAX_SIGN_IN_CANDIDATES
from domain.passwords import hash_password
from models import User, Workspace
from models.enums import Role
from tests.accounts.conftest import Argon2Work
from tests.documents import document
from tests.helpers import GraphQL

PLANTED = "the squatter's own"
REAL = "the owner's password"


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


def _email() -> str:
    return f"planted-{uuid.uuid4().hex[:8]}@example.com"


async def _sign_in(gql: GraphQL, email: str, password: str, workspace_pk: int | None = None):
    variables = {"email": email, "password": password}
    if workspace_pk is not None:
        variables["workspaceId"] = to_global_id("Workspace", workspace_pk)
    return (await gql.execute(document("login"), variables)).ok()["login"]


async def test_one_attempt_checks_at_most_five_accounts(gql: GraphQL, argon2_work: Argon2Work):
    # given: 30 accounts with one e-mail
    email = _email()
    await _accounts(email, await hash_password(PLANTED), 30)
    argon2_work.reset()

    # when
    payload = await _sign_in(gql, email, "a guess")

    # then: five checks, not thirty
    assert [e["code"] for e in payload["errors"]] == ["INVALID"]
    assert argon2_work.checks == MAX_SIGN_IN_CANDIDATES


async def test_accounts_planted_before_the_real_one_do_not_shut_it_out(gql: GraphQL):
    # given: five accounts planted on an e-mail, then its owner's (none signed into yet)
    email = _email()
    await _accounts(email, await hash_password(PLANTED), MAX_SIGN_IN_CANDIDATES)
    (real,) = await _accounts(email, await hash_password(REAL), 1)

    # when
    payload = await _sign_in(gql, email, REAL)

    # then: the newest never-used accounts are checked first (the oldest five were)
    assert payload["errors"] == [] and payload["user"]["id"] == to_global_id("User", real.id)


async def test_accounts_planted_after_a_used_one_do_not_shut_it_out(gql: GraphQL):
    # given: the owner's account, signed into once, then ten accounts planted after it
    email = _email()
    (real,) = await _accounts(email, await hash_password(REAL), 1)
    assert (await _sign_in(gql, email, REAL, real.workspace_id))["errors"] == []
    await _accounts(email, await hash_password(PLANTED), 10)

    # when
    payload = await _sign_in(gql, email, REAL)

    # then: an account signed into comes before those never signed into
    assert payload["errors"] == [] and payload["user"]["id"] == to_global_id("User", real.id)
    await real.refresh_from_db()
    assert real.last_signed_in_at is not None
    assert datetime.now(UTC) - real.last_signed_in_at < timedelta(minutes=1)


async def test_the_accounts_most_recently_signed_into_come_first(gql: GraphQL):
    # given: six accounts on an e-mail, each with its own password, each signed into
    # (naming its workspace), the oldest last
    email = _email()
    users = [(await _accounts(email, await hash_password(f"pass {n} xyz"), 1))[0] for n in range(6)]
    for n in [1, 2, 3, 4, 5, 0]:
        user = users[n]
        assert (await _sign_in(gql, email, f"pass {n} xyz", user.workspace_id))["errors"] == []

    # when
    oldest = await _sign_in(gql, email, "pass 0 xyz")
    longest_unused = await _sign_in(gql, email, "pass 1 xyz")

    # then: the oldest account, signed into last, is checked; the one signed into longest
    # ago is the sixth, and is reached naming its workspace
    assert oldest["errors"] == [] and oldest["user"]["id"] == to_global_id("User", users[0].id)
    assert [e["code"] for e in longest_unused["errors"]] == ["INVALID"]
    named = await _sign_in(gql, email, "pass 1 xyz", users[1].workspace_id)
    assert named["errors"] == []


async def test_a_squatter_signing_into_five_accounts_after_the_owner_needs_the_workspace_named(
    gql: GraphQL,
):
    # given: the owner's account, signed into; then five planted accounts, each signed into
    # by the squatter after the owner (the limit of a choice without verified e-mails)
    email = _email()
    (real,) = await _accounts(email, await hash_password(REAL), 1)
    assert (await _sign_in(gql, email, REAL))["errors"] == []
    for n in range(MAX_SIGN_IN_CANDIDATES):
        (planted,) = await _accounts(email, await hash_password(f"{PLANTED} {n}"), 1)
        assert (await _sign_in(gql, email, f"{PLANTED} {n}", planted.workspace_id))["errors"] == []

    # when
    unnamed = await _sign_in(gql, email, REAL)
    named = await _sign_in(gql, email, REAL, real.workspace_id)

    # then
    assert [e["code"] for e in unnamed["errors"]] == ["INVALID"]
    assert named["errors"] == [] and named["user"]["id"] == to_global_id("User", real.id)
