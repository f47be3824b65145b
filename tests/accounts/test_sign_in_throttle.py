"""Sign-in throttling: past 10 failures for an e-mail, or 100 from an address, in 15 minutes,
attempts are refused with RATE_LIMITED and Retry-After until the window ends.

These tests talk to an app of their own through ASGITransport, each from a client address
of its own, so that their failures never count against the suite's 127.0.0.1. The app
shares the suite's database and Redis (Tortoise is initialised by the suite's server).
"""

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from argon2 import PasswordHasher
from arq import ArqRedis

from api.app import create_app
from api.core.ids import from_global_id
from crm.settings import get_settings
from models import User
from tests.helpers import Account, GraphQL

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token
    errors { field message code }
  }
}
"""
ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 100
WINDOW = 15 * 60

Client = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client_from(arq_redis: ArqRedis, server: str) -> AsyncIterator[Client]:
    """HTTP clients of one app, each calling from the address it is given."""
    app = create_app(get_settings())
    app.state.redis = arq_redis  # what the lifespan would set; the suite's server owns the rest
    clients: list[httpx.AsyncClient] = []

    async def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        http = httpx.AsyncClient(transport=transport, base_url="http://crm.test", timeout=30)
        clients.append(http)
        return http

    yield make
    for http in clients:
        await http.aclose()


# TEST-NET-3 addresses: labels here, never contacted; one per client, never shared.
_ADDRESSES = (f"203.0.113.{n}" for n in itertools.count(1))


def _address() -> str:
    return next(_ADDRESSES)


async def _login(http: httpx.AsyncClient, email: str, password: str) -> tuple[dict, httpx.Response]:
    response = await http.post(
        "/graphql", json={"query": LOGIN, "variables": {"email": email, "password": password}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["login"], response


def _codes(payload: dict) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def _fresh_account(gql: GraphQL) -> Account:
    return await gql.sign_up(email=f"throttled-{uuid.uuid4().hex[:10]}@example.com")


async def test_failures_past_the_account_limit_are_refused_with_retry_after(
    gql: GraphQL, client_from: Client
):
    # given
    account = await _fresh_account(gql)
    http = await client_from(_address())
    for attempt in range(ACCOUNT_LIMIT):
        payload, _ = await _login(http, account.email, f"wrong password {attempt}")
        assert _codes(payload) == ["INVALID"]

    # when
    refused, response = await _login(http, account.email, "wrong password again")
    right, right_response = await _login(http, account.email, account.password)

    # then: refused, the right password too, saying when to come back
    for payload, http_response in ((refused, response), (right, right_response)):
        assert payload["token"] is None
        assert _codes(payload) == ["RATE_LIMITED"]
        assert payload["errors"][0]["field"] is None
        assert "Try again in 15 minutes" in payload["errors"][0]["message"]
        retry_after = int(http_response.headers["Retry-After"])
        assert WINDOW - 60 < retry_after <= WINDOW


async def test_a_burst_of_wrong_passwords_costs_ten_password_checks(
    gql: GraphQL, client_from: Client
):
    # given: a user whose hash has production's Argon2 cost (~0.2 s a check on the CI box)
    account = await _fresh_account(gql)
    hashed = await asyncio.to_thread(PasswordHasher().hash, account.password)
    await User.filter(id=from_global_id(account.user_id)[1]).update(password_hash=hashed)
    http = await client_from(_address())
    one_check = time.perf_counter()
    await asyncio.to_thread(PasswordHasher().verify, hashed, account.password)
    one_check = time.perf_counter() - one_check

    # when: 40 wrong passwords, one after another
    started = time.perf_counter()
    codes = []
    for attempt in range(40):
        payload, _ = await _login(http, account.email, f"guess {attempt}")
        codes += _codes(payload)
    elapsed = time.perf_counter() - started

    # then: only the first 10 were checked; unthrottled, 40 checks took ~40 x one_check
    assert codes == ["INVALID"] * ACCOUNT_LIMIT + ["RATE_LIMITED"] * 30
    print(f"40 wrong passwords: {elapsed:.2f} s, one Argon2 check {one_check:.3f} s")
    assert elapsed < 20 * one_check + 2


async def test_parallel_attempts_cannot_slip_under_the_limit(gql: GraphQL, client_from: Client):
    # given
    account = await _fresh_account(gql)
    http = await client_from(_address())

    # when: 30 wrong passwords at once
    results = await asyncio.gather(
        *(_login(http, account.email, f"guess {attempt}") for attempt in range(30))
    )

    # then: each was counted before its check, so exactly 10 were checked
    codes = sorted(_codes(payload)[0] for payload, _ in results)
    assert codes == ["INVALID"] * ACCOUNT_LIMIT + ["RATE_LIMITED"] * 20


async def test_aliased_logins_in_one_request_are_each_counted(gql: GraphQL, client_from: Client):
    # given: one document holding 15 sign-in attempts
    account = await _fresh_account(gql)
    http = await client_from(_address())
    aliases = " ".join(
        f'a{n}: login(email: "{account.email}", password: "guess {n}") {{ errors {{ code }} }}'
        for n in range(15)
    )

    # when
    response = await http.post("/graphql", json={"query": f"mutation {{ {aliases} }}"})

    # then
    data = response.json()["data"]
    codes = [data[f"a{n}"]["errors"][0]["code"] for n in range(15)]
    assert codes == ["INVALID"] * ACCOUNT_LIMIT + ["RATE_LIMITED"] * 5
    assert 0 < int(response.headers["Retry-After"]) <= WINDOW


async def test_a_success_clears_the_account_count(gql: GraphQL, client_from: Client):
    # given: 9 failures, then the right password
    account = await _fresh_account(gql)
    http = await client_from(_address())
    for attempt in range(ACCOUNT_LIMIT - 1):
        await _login(http, account.email, f"wrong {attempt}")
    signed_in, _ = await _login(http, account.email, account.password)
    assert signed_in["token"] is not None

    # when: 10 more failures
    codes = []
    for attempt in range(ACCOUNT_LIMIT):
        payload, _ = await _login(http, account.email, f"wrong again {attempt}")
        codes += _codes(payload)

    # then: counted from zero again
    assert codes == ["INVALID"] * ACCOUNT_LIMIT


async def test_the_address_limit_spares_other_accounts_until_it_is_reached(
    gql: GraphQL, client_from: Client
):
    # given: one account locked from an address
    locked = await _fresh_account(gql)
    other = await _fresh_account(gql)
    http = await client_from(_address())
    for attempt in range(ACCOUNT_LIMIT + 1):
        await _login(http, locked.email, f"wrong {attempt}")

    # when / then: another account signs in from the same address
    payload, _ = await _login(http, other.email, other.password)
    assert payload["errors"] == [] and payload["token"]

    # when: the address reaches its limit, spread over e-mails none of which is locked
    failures = ACCOUNT_LIMIT + 1
    while failures < ADDRESS_LIMIT:
        email = f"guess-{uuid.uuid4().hex[:8]}@example.com"
        for _ in range(min(ACCOUNT_LIMIT, ADDRESS_LIMIT - failures)):
            payload, _ = await _login(http, email, "wrong password")
            assert _codes(payload) == ["INVALID"]
            failures += 1
    refused, response = await _login(http, other.email, other.password)

    # then: refused, right password or not; from another address the account signs in
    assert _codes(refused) == ["RATE_LIMITED"]
    assert int(response.headers["Retry-After"]) <= WINDOW
    elsewhere, _ = await _login(await client_from(_address()), other.email, other.password)
    assert elsewhere["errors"] == [] and elsewhere["token"]
