"""Sign-ups per client address: 20 an hour by default (SIGN_UPS_PER_ADDRESS), then refused
with RATE_LIMITED and Retry-After, before anything is checked, hashed or stored; with Redis
down, signing up goes on."""

import logging
import time
import uuid

import pytest
from redis.asyncio import Redis

from api.accounts.attempt_counters import RedisAttemptCounter
from domain import accounts
from domain.sign_up_throttle import SignUpLimits, SignUpThrottle
from models import User
from tests.accounts.conftest import Argon2Work, Client
from tests.accounts.support import new_address
from tests.documents import document

DEFAULT_LIMIT = 20
HOUR = 60 * 60


def _variables(email: str, n: int) -> dict:
    return {
        "workspaceName": f"Planted {n}",
        "name": "Someone",
        "email": email,
        "password": "correct horse battery",
    }


async def test_sign_ups_past_the_address_limit_are_refused(
    client_from: Client, settings_env, argon2_work: Argon2Work
):
    # given: the default limit (the suite lifts it for its own 127.0.0.1)
    settings_env(SIGN_UPS_PER_ADDRESS=None)
    email = f"ceo-{uuid.uuid4().hex[:8]}@bigcorp.example"
    http = await client_from(new_address())
    argon2_work.reset()

    # when: 25 workspaces planted on one e-mail from one address
    started = time.perf_counter()
    payloads = []
    for n in range(25):
        response = await http.post(
            "/graphql", json={"query": document("signUp"), "variables": _variables(email, n)}
        )
        payloads.append((response.json()["data"]["signUp"], response))
    elapsed = time.perf_counter() - started

    # then: 20 made; the others refused before any hash, saying when to come back
    assert [bool(payload["token"]) for payload, _ in payloads] == [True] * 20 + [False] * 5
    for payload, response in payloads[DEFAULT_LIMIT:]:
        (error,) = payload["errors"]
        assert error["code"] == "RATE_LIMITED"
        assert error["message"].startswith("Too many sign-ups from this address. Try again in")
        assert HOUR - 60 < int(response.headers["Retry-After"]) <= HOUR
    assert await User.filter(email=email).count() == DEFAULT_LIMIT
    assert argon2_work.hashes == DEFAULT_LIMIT
    print(f"25 sign-ups from one address: 20 made, {elapsed:.2f} s")

    # and: another address signs up
    other = await client_from(new_address())
    response = await other.post(
        "/graphql", json={"query": document("signUp"), "variables": _variables(email, 99)}
    )
    assert response.json()["data"]["signUp"]["errors"] == []


async def test_with_redis_down_sign_up_goes_on(
    server: str, caplog: pytest.LogCaptureFixture, unused_tcp_port: int
):
    # given: a throttle whose Redis does not answer, allowing one sign-up
    down = Redis(host="127.0.0.1", port=unused_tcp_port, socket_connect_timeout=1)
    throttle = SignUpThrottle(
        RedisAttemptCounter(down), SignUpLimits(1, HOUR), namespace=f"t-{uuid.uuid4().hex[:8]}"
    )

    # when
    with caplog.at_level(logging.WARNING, logger="crm.accounts"):
        users = [
            await accounts.sign_up(
                workspace_name="Down",
                name="Ada",
                email=f"down-{uuid.uuid4().hex[:8]}@example.com",
                password="correct horse battery",
                timezone=None,
                client_address="198.51.100.9",
                throttle=throttle,
            )
            for _ in range(2)
        ]
    await down.aclose()

    # then
    assert all(user.id for user in users)
    assert "sign-up throttle unavailable" in caplog.text
