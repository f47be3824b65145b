"""A request that stands for nobody is told which case it is (UNAUTHENTICATED, with a
`reason`): no Authorization header, a malformed one, a token we never issued, an expired
session, a revoked key or a deactivated account. Expired and revoked are told only to the
holder of that very token: a wrong secret under a real key's prefix is UNKNOWN_TOKEN.

Before: all of them were "Sign in first: send Authorization: Bearer <token>.", and a client
holding an expired session could not tell it from a typo in its header.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest
import websockets
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from crm.settings import get_settings
from models import ApiKey, User
from tests.documents import document
from tests.factories import create_api_key
from tests.helpers import Account, GraphQL

VIEWER = "{ viewer { email } }"


async def _refusal(
    client: httpx.AsyncClient, authorization: str | None, query: str = VIEWER
) -> dict:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED", error
    return error


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def _session_issued_ago(account: Account, seconds: float) -> str:
    """The account's session token signed again with the server's key, as if issued
    `seconds` ago."""

    class _Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - seconds)

    # The server's serializer (domain.accounts.Authenticator): its key and its salt.
    serializer = URLSafeTimedSerializer(get_settings().secret_key, "crm.session", signer=_Then)
    return serializer.dumps(serializer.loads(account.token))


@pytest.mark.parametrize(
    ("authorization", "said"),
    [
        (None, "Sign in first: send Authorization: Bearer <token>."),
        ("Basic dXNlcjpwYXNz", "not of the form Bearer <token>"),
        ("Bearer", "not of the form Bearer <token>"),
        ("Token abc", "not of the form Bearer <token>"),
    ],
    ids=["missing", "basic-scheme", "bearer-without-token", "other-scheme"],
)
async def test_no_or_a_malformed_header_is_told_apart(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    authorization: str | None,
    said: str,
):
    # given
    caplog.set_level(logging.INFO)

    # when
    error = await _refusal(client, authorization)

    # then
    reason = "MISSING" if authorization is None else "MALFORMED"
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}
    assert said in error["message"]
    assert _errors_logged(caplog) == []


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "null",
        "crm_",
        "crm_0123456789ab_" + "x" * 43,
        "crm_ZZ-x_secret",
        "crm_" + "a" * 5000 + "_secret",
        "eyJ1IjoxfQ.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb",
    ],
    ids=[
        "garbage",
        "null",
        "key-prefix-only",
        "unknown-key",
        "odd-prefix",
        "long-prefix",
        "forged",
    ],
)
async def test_a_token_we_never_issued_is_unknown(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, token: str
):
    # given
    caplog.set_level(logging.INFO)

    # when
    error = await _refusal(client, f"Bearer {token}")

    # then
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "UNKNOWN_TOKEN"}
    assert "not one this server issued" in error["message"]
    assert _errors_logged(caplog) == []


async def test_an_expired_session_says_so(client: httpx.AsyncClient, workspace: Account):
    # given: the workspace's admin's session, issued longer ago than SESSION_TTL_HOURS
    ttl = get_settings().session_ttl_hours * 3600
    token = _session_issued_ago(workspace, ttl + 60)

    # when
    error = await _refusal(client, f"Bearer {token}")

    # then
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "EXPIRED"}
    assert error["message"] == "This session has expired: sign in again."


async def test_a_session_just_within_its_lifetime_still_works(gql: GraphQL, workspace: Account):
    # given: the control for the expired session above
    ttl = get_settings().session_ttl_hours * 3600
    token = _session_issued_ago(workspace, ttl - 60)

    # when / then
    assert (await gql.execute(VIEWER, token=token)).ok() == {"viewer": {"email": workspace.email}}


async def _deactivated_session(gql: GraphQL, workspace: Account) -> str:
    await User.filter(email=workspace.email).update(is_active=False)
    return workspace.token


async def _revoked_key(gql: GraphQL, workspace: Account) -> str:
    secret = await create_api_key(gql, workspace, name="ERP 同步")
    await ApiKey.filter(prefix=_prefix(secret)).update(revoked_at=datetime.now(UTC))
    return secret


def _prefix(secret: str) -> str:
    return secret.removeprefix("crm_").split("_", 1)[0]


@pytest.mark.parametrize(
    "revoked", [_deactivated_session, _revoked_key], ids=["deactivated-account", "revoked-key"]
)
async def test_a_revoked_token_says_so_to_its_holder(
    client: httpx.AsyncClient,
    gql: GraphQL,
    workspace: Account,
    revoked: Callable[[GraphQL, Account], Awaitable[str]],
):
    # given
    token = await revoked(gql, workspace)

    # when
    error = await _refusal(client, f"Bearer {token}")

    # then
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "REVOKED"}
    assert "revoked" in error["message"]


async def test_a_wrong_secret_under_a_revoked_keys_prefix_learns_nothing(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given: a revoked key, whose prefix a guesser has seen
    prefix = _prefix(await _revoked_key(gql, workspace))

    # when
    error = await _refusal(client, f"Bearer crm_{prefix}_{'A' * 43}")

    # then: as for any token never issued
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "UNKNOWN_TOKEN"}


async def test_signing_in_works_whatever_stale_token_is_sent(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given: a client that still sends its expired session while it signs in again
    ttl = get_settings().session_ttl_hours * 3600
    stale = _session_issued_ago(workspace, ttl + 60)

    # when
    result = await gql.execute(
        document("login"), {"email": workspace.email, "password": workspace.password}, stale
    )

    # then: only an operation that needs a viewer is refused
    payload = result.ok()["login"]
    assert payload["errors"] == [] and payload["token"]


async def test_the_error_report_download_says_why_too(client: httpx.AsyncClient):
    # when
    response = await client.get(
        "/imports/SW1wb3J0Sm9iOjE/errors.csv", headers={"Authorization": "Basic abc"}
    )

    # then
    assert response.status_code == 401
    assert response.text == "The Authorization header is not of the form Bearer <token>."


async def test_a_legacy_websocket_is_told_why_its_token_is_refused(
    server: str, gql: GraphQL, workspace: Account
):
    # given: an expired session sent in graphql-ws's connection_init
    ttl = get_settings().session_ttl_hours * 3600
    stale = _session_issued_ago(workspace, ttl + 60)

    async with websockets.connect(f"ws://{server}/graphql", subprotocols=["graphql-ws"]) as ws:
        # when
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {stale}"}}
        await ws.send(json.dumps(init))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 10))

    # then: where it said "Invalid or expired token." to every refused token
    assert answer == {
        "type": "connection_error",
        "payload": {
            "message": "This session has expired: sign in again.",
            "code": "UNAUTHENTICATED",
            "reason": "EXPIRED",
        },
    }
