"""Sign-in throttling: past 10 failures for an e-mail, or 100 from an address, in 15 minutes,
attempts are refused with RATE_LIMITED and Retry-After until the window ends.

These tests talk to an app of their own through ASGITransport, each from a client address
of its own, so that their failures never count against the suite's 127.0.0.1.
"""

import asyncio
import uuid

from argon2 import PasswordHasher

from api.core.ids import from_global_id
from models import User
from tests.accounts.conftest import Argon2Work, Client
from tests.accounts.support import codes as _codes
from tests.accounts.support import login as _login
from tests.accounts.support import new_address as _address
from tests.helpers import Account, GraphQL

ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 100
WINDOW = 15 * 60


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
    gql: GraphQL, client_from: Client, argon2_work: Argon2Work
):
    # given: a user whose hash has production's Argon2 cost (~0.2 s a check on the CI box)
    account = await _fresh_account(gql)
    hashed = await asyncio.to_thread(PasswordHasher().hash, account.password)
    await User.filter(id=from_global_id(account.user_id)[1]).update(password_hash=hashed)
    http = await client_from(_address())
    argon2_work.reset()

    # when: 40 wrong passwords, one after another
    codes = []
    for attempt in range(40):
        payload, _ = await _login(http, account.email, f"guess {attempt}")
        codes += _codes(payload)

    # then: only the first 10 were checked (unthrottled, all 40 were): the checks counted,
    # where a bound on the seconds taken was the machine's speed
    assert codes == ["INVALID"] * ACCOUNT_LIMIT + ["RATE_LIMITED"] * 30
    assert argon2_work.checks == ACCOUNT_LIMIT


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


async def test_a_success_takes_back_only_its_own_attempt(gql: GraphQL, client_from: Client):
    # given: 9 failures, then the right password (the e-mail's only account)
    account = await _fresh_account(gql)
    http = await client_from(_address())
    for attempt in range(ACCOUNT_LIMIT - 1):
        await _login(http, account.email, f"wrong {attempt}")
    signed_in, _ = await _login(http, account.email, account.password)
    assert signed_in["token"] is not None

    # when: more failures
    codes = []
    for attempt in range(3):
        payload, _ = await _login(http, account.email, f"wrong again {attempt}")
        codes += _codes(payload)

    # then: the 9 failures still count (a success never clears them): one more is heard
    assert codes == ["INVALID", "RATE_LIMITED", "RATE_LIMITED"]


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

    # when: the address reaches its limit, spread over e-mails none of which is locked (the
    # attempt refused above was not counted)
    failures = ACCOUNT_LIMIT
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
