"""The Argon2 work sign-ins may cause: one sign-in or sign-up per request, answers that
open several workspaces counted like failures, and every attempt from an address (its
successes too) counted against a budget far above its failures."""

import asyncio
import uuid

from argon2 import PasswordHasher

from models import User, Workspace
from models.enums import Role
from tests.accounts.conftest import Argon2Work, Client
from tests.accounts.support import codes, login, new_address, outcome
from tests.helpers import Account, GraphQL

SHARED = "one password for all"
ACCOUNT_LIMIT = 10


async def _accounts_sharing_a_password(password_hash: str, count: int = 5) -> str:
    email = f"shared-{uuid.uuid4().hex[:8]}@example.com"
    for n in range(count):
        workspace = await Workspace.create(name=f"Shared {n}")
        await User.create(
            workspace=workspace, name="Ada", email=email, password_hash=password_hash,
            role=Role.ADMIN,
        )  # fmt: skip
    return email


async def test_one_request_runs_one_sign_in(client_from: Client, argon2_work: Argon2Work):
    # given: an e-mail with five accounts sharing a password at production's Argon2 cost
    # (~0.15 s a check here), and one document asking to sign in with it 30 times
    hashed = await asyncio.to_thread(PasswordHasher().hash, SHARED)
    email = await _accounts_sharing_a_password(hashed)
    aliases = " ".join(
        f'a{n}: login(email: "{email}", password: "{SHARED}") {{ errors {{ code message }} }}'
        for n in range(30)
    )
    http = await client_from(new_address())
    argon2_work.reset()

    # when
    response = await http.post("/graphql", json={"query": f"mutation {{ {aliases} }}"})

    # then: the first asks to name a workspace; the others are refused unchecked. Before,
    # all 30 were checked against the five accounts: 150 checks, ~11 s on two cores
    data = response.json()["data"]
    assert data["a0"]["errors"][0]["code"] == "REQUIRED"
    for n in range(1, 30):
        (error,) = data[f"a{n}"]["errors"]
        assert error["code"] == "RATE_LIMITED"
        assert error["message"].startswith("One sign-in or sign-up per request")
    # (the checks counted: a bound on the seconds taken was the machine's speed)
    assert argon2_work.checks == 5


async def test_aliased_sign_ups_make_one_workspace(client_from: Client, argon2_work: Argon2Work):
    # given
    email = f"aliased-{uuid.uuid4().hex[:8]}@example.com"
    aliases = " ".join(
        f'a{n}: signUp(workspaceName: "W{n}", name: "Ada", email: "{email}", '
        f'password: "correct horse battery") {{ token errors {{ code }} }}'
        for n in range(10)
    )
    http = await client_from(new_address())
    argon2_work.reset()

    # when
    response = await http.post("/graphql", json={"query": f"mutation {{ {aliases} }}"})

    # then
    data = response.json()["data"]
    assert data["a0"]["token"] and data["a0"]["errors"] == []
    assert [data[f"a{n}"]["errors"][0]["code"] for n in range(1, 10)] == ["RATE_LIMITED"] * 9
    assert await User.filter(email=email).count() == 1
    assert argon2_work.hashes == 1


async def test_answers_that_open_several_workspaces_are_counted(
    client_from: Client, argon2_work: Argon2Work
):
    # given: five accounts sharing a password
    email = await _accounts_sharing_a_password(PasswordHasher().hash(SHARED))
    argon2_work.reset()

    # when: the right password, again and again, each time from a new address
    results = []
    for _ in range(15):
        payload, _ = await login(await client_from(new_address()), email, SHARED)
        results.append(outcome(payload))

    # then: each answer was 5 checks and told the password opens several accounts, so it is
    # counted like a failure (before, none was: 5 checks per request without end)
    assert results == ["REQUIRED"] * ACCOUNT_LIMIT + ["RATE_LIMITED"] * 5
    assert argon2_work.checks == ACCOUNT_LIMIT * 5


async def test_the_address_budget_counts_successes_too(
    gql: GraphQL, client_from: Client, settings_env, argon2_work: Argon2Work
):
    # given: an address allowed 30 attempts per window, and an account signing in from it
    settings_env(SIGN_IN_ATTEMPTS_PER_ADDRESS=30)
    account: Account = await gql.sign_up()
    http = await client_from(new_address())
    argon2_work.reset()

    # when: 40 successful sign-ins
    results = []
    responses = []
    for _ in range(40):
        payload, response = await login(http, account.email, account.password)
        results.append(outcome(payload))
        responses.append((payload, response))

    # then: 30 are heard; then even the right password is refused until the window ends
    assert results == ["OK"] * 30 + ["RATE_LIMITED"] * 10
    refused, response = responses[-1]
    assert refused["errors"][0]["message"].startswith("Too many sign-ins from this address.")
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert argon2_work.checks == 30
    # from another address the account signs in: it is the address that spent its budget
    elsewhere, _ = await login(await client_from(new_address()), account.email, account.password)
    assert codes(elsewhere) == []


async def test_the_default_budget_spares_an_office_behind_one_address(
    gql: GraphQL, client_from: Client
):
    # given: 150 colleagues behind one NAT address (more than the 100 failures it may make)
    accounts = [await gql.sign_up() for _ in range(150)]
    office = await client_from(new_address())

    # when: each signs in, a third of them after a typo
    results = []
    for n, account in enumerate(accounts):
        if n % 3 == 0:
            await login(office, account.email, "a typo in it")
        results.append(outcome((await login(office, account.email, account.password))[0]))

    # then: everyone is in (50 failures, 200 attempts: under 100 and 1,000)
    assert results == ["OK"] * 150
