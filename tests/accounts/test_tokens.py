"""Bearer tokens: only an unexpired session signed with the server's key stands for a user."""

import os
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from api.core.ids import from_global_id
from domain.accounts import Authenticator
from models import User
from tests.helpers import Account, GraphQL

VIEWER = "{ viewer { id email } }"
# What the suite's server signs with (tests/conftest.py) and the salt of domain/accounts.py.
SECRET_KEY = os.environ["SECRET_KEY"]
SALT = "crm.session"
SESSION_TTL = timedelta(hours=24 * 14)


def _user_pk(account: Account) -> int:
    return from_global_id(account.user_id)[1]


def _session_pk(account: Account) -> int:
    return URLSafeTimedSerializer(SECRET_KEY, salt=SALT).loads(account.token)["s"]


def _payload(account: Account, user: Account | None = None) -> dict[str, int]:
    """What the account's token signs ("u" the user, "s" its session), the user swapped."""
    return {"u": _user_pk(user or account), "s": _session_pk(account)}


def _signed_at(timestamp: int, secret_key: str = SECRET_KEY) -> URLSafeTimedSerializer:
    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return timestamp

    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=Signer)


def _assert_unauthenticated(result) -> None:
    assert result.data is None
    assert [e["extensions"]["code"] for e in result.errors] == ["UNAUTHENTICATED"]


async def test_session_token_signed_like_the_server_is_accepted(gql: GraphQL, workspace: Account):
    # given: the control for the forged tokens below, built the same way
    token = _signed_at(int(time.time())).dumps(_payload(workspace))

    # when
    result = await gql.execute(VIEWER, token=token)

    # then
    assert result.ok()["viewer"]["id"] == workspace.user_id


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "crm_", "crm_nope", "crm_abc_def", "Bearer"],
)
async def test_garbage_token_is_unauthenticated(gql: GraphQL, token: str):
    # given / when
    result = await gql.execute(VIEWER, token=token)

    # then
    _assert_unauthenticated(result)


async def test_token_for_another_user_id_is_refused(gql: GraphQL, workspace: Account):
    # given: a genuine token whose payload is swapped for another user's, signature kept
    other = await gql.sign_up()
    genuine = workspace.token
    forged_payload = _signed_at(int(time.time())).dumps(_payload(workspace, other)).split(".")[0]
    tampered = ".".join([forged_payload, *genuine.split(".")[1:]])

    # when
    result = await gql.execute(VIEWER, token=tampered)

    # then
    _assert_unauthenticated(result)


async def test_token_with_altered_signature_is_refused(gql: GraphQL, workspace: Account):
    # given
    payload, timestamp, signature = workspace.token.split(".")
    altered = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]

    # when
    result = await gql.execute(VIEWER, token=f"{payload}.{timestamp}.{altered}")

    # then
    _assert_unauthenticated(result)


async def test_token_signed_with_another_key_is_refused(gql: GraphQL, workspace: Account):
    # given
    token = _signed_at(int(time.time()), "not-the-server-key").dumps(_payload(workspace))

    # when
    result = await gql.execute(VIEWER, token=token)

    # then
    _assert_unauthenticated(result)


async def test_expired_token_is_refused(gql: GraphQL, workspace: Account):
    # given: signed just longer ago than a session lasts
    issued = int(time.time() - SESSION_TTL.total_seconds() - 60)
    token = _signed_at(issued).dumps(_payload(workspace))

    # when
    result = await gql.execute(VIEWER, token=token)

    # then
    _assert_unauthenticated(result)


async def test_authenticator_refuses_tokens_older_than_its_ttl(workspace: Account):
    # given: an authenticator whose sessions last one minute
    authenticator = Authenticator(SECRET_KEY, timedelta(minutes=1))
    user = await User.get(id=_user_pk(workspace))
    fresh = await authenticator.issue(user)
    stale = _signed_at(int(time.time()) - 61).dumps(_payload(workspace))

    # when
    fresh_viewer = await authenticator.viewer_for(fresh)
    stale_viewer = await authenticator.viewer_for(stale)

    # then
    assert fresh_viewer is not None
    assert fresh_viewer.user_id == user.id
    assert fresh_viewer.workspace_id == user.workspace_id
    assert stale_viewer is None


async def test_deactivated_user_token_is_refused(gql: GraphQL):
    # given
    account = await gql.sign_up()
    await User.filter(id=_user_pk(account)).update(is_active=False)

    # when
    result = await gql.execute(VIEWER, token=account.token)

    # then
    _assert_unauthenticated(result)


async def test_authorization_needs_the_bearer_scheme(client, workspace: Account):
    # given
    headers = {"Authorization": f"Token {workspace.token}"}

    # when
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)

    # then
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bearer_scheme_is_case_insensitive(client, workspace: Account):
    # given
    headers = {"Authorization": f"bearer {workspace.token}"}

    # when
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)

    # then
    assert response.json()["data"]["viewer"]["id"] == workspace.user_id


async def test_a_session_signed_for_another_user_is_refused(gql: GraphQL, workspace: Account):
    # given: signed by the server (as only a leaked key could), naming the workspace's
    # session for another user: a session stands only for the user it was opened by
    other = await gql.sign_up()
    token = _signed_at(int(time.time())).dumps(_payload(workspace, other))

    # when
    result = await gql.execute(VIEWER, token=token)

    # then
    _assert_unauthenticated(result)
    assert result.errors[0]["extensions"]["reason"] == "REVOKED"


async def test_a_token_issued_before_sessions_were_rows_is_expired(
    gql: GraphQL, workspace: Account
):
    # given: a token of the old form, its user alone, signed by the server a minute ago
    token = _signed_at(int(time.time()) - 60).dumps({"u": _user_pk(workspace)})

    # when
    result = await gql.execute(VIEWER, token=token)

    # then: its holder signs in again, as after an expiry
    _assert_unauthenticated(result)
    assert result.errors[0]["extensions"]["reason"] == "EXPIRED"
