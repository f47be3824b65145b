"""An e-mail's guesses stay counted whatever the guesser's own accounts do.

Anyone may sign up a workspace with a victim's e-mail (there is no verification) and sign
into it with a password of their own. Those sign-ins must not make room for more guesses
at the victim than the e-mail's limit (10 per window): a sign-in that checks the victim's
account beside the squatter's is itself a guess, and one that checks only the squatter's
(naming its workspace) takes back its own attempt and nothing more.

Every round comes from an address of its own, so that only the e-mail's limit is in play.
"""

import uuid

from api.core.ids import to_global_id
from models import User
from tests.accounts.conftest import Argon2Work, Client
from tests.accounts.support import login, new_address, outcome
from tests.documents import document
from tests.helpers import GraphQL

ACCOUNT_LIMIT = 10
VICTIM_PASSWORD = "victim secret pass 1"
ATTACKER_PASSWORD = "attacker owns this 9"


async def _sign_up(gql: GraphQL, email: str, password: str, workspace: str) -> dict:
    variables = {"workspaceName": workspace, "name": "Someone", "email": email}
    payload = (await gql.execute(document("signUp"), variables | {"password": password})).ok()[
        "signUp"
    ]
    assert payload["errors"] == [], payload["errors"]
    return payload["user"]


async def _workspace_of(user: dict) -> str:
    from api.core.ids import from_global_id

    found = await User.get(id=from_global_id(user["id"])[1])
    return to_global_id("Workspace", found.workspace_id)


def _victim_email() -> str:
    return f"victim-{uuid.uuid4().hex[:8]}@example.com"


async def test_the_attackers_own_sign_ins_make_no_room_for_guesses(
    gql: GraphQL, client_from: Client, argon2_work: Argon2Work
):
    # given: the victim's account, and the attacker's own workspace on the victim's e-mail
    email = _victim_email()
    await _sign_up(gql, email, VICTIM_PASSWORD, "Victim Co")
    await _sign_up(gql, email, ATTACKER_PASSWORD, "Evil Co")
    argon2_work.reset()

    # when: the reviewer's probe: 5 rounds of 9 guesses then a sign-in of the attacker's own
    results = []
    for round_ in range(5):
        http = await client_from(new_address())
        for guess in range(9):
            results.append(outcome((await login(http, email, f"guess {round_}-{guess} xyz"))[0]))
        results.append(outcome((await login(http, email, ATTACKER_PASSWORD))[0]))

    # then: the attacker's success checked the victim's account too, so it counted: 10
    # attempts were heard in all, 9 of them guesses (it was 45 guesses and none refused)
    print(f"probe: {results.count('INVALID')} guesses, {argon2_work.checks} Argon2 checks")
    assert results == ["INVALID"] * 9 + ["OK"] + ["RATE_LIMITED"] * 40
    assert argon2_work.checks == ACCOUNT_LIMIT * 2  # was 100: every attempt checks both


async def test_sign_ins_naming_the_attackers_workspace_make_no_room_either(
    gql: GraphQL, client_from: Client
):
    # given
    email = _victim_email()
    await _sign_up(gql, email, VICTIM_PASSWORD, "Victim Co")
    attacker = await _workspace_of(await _sign_up(gql, email, ATTACKER_PASSWORD, "Evil Co"))

    # when: rounds of 9 guesses, then a sign-in naming the attacker's workspace, which
    # checks the attacker's account alone and so takes back its own attempt
    results = []
    for round_ in range(5):
        http = await client_from(new_address())
        for guess in range(9):
            results.append(outcome((await login(http, email, f"guess {round_}-{guess}"))[0]))
        results.append(outcome((await login(http, email, ATTACKER_PASSWORD, attacker))[0]))

    # then: 10 guesses in all, never more (taking back only its own attempt, the success
    # leaves the 9 guesses before it counted)
    assert results.count("INVALID") == ACCOUNT_LIMIT
    assert results[:12] == ["INVALID"] * 9 + ["OK"] + ["INVALID", "RATE_LIMITED"]
    assert set(results[12:]) == {"RATE_LIMITED"}


async def test_accounts_planted_with_guessed_passwords_are_guesses_too(
    gql: GraphQL, client_from: Client
):
    # given: the victim, signed in once
    email = _victim_email()
    await _sign_up(gql, email, VICTIM_PASSWORD, "Victim Co")
    assert outcome((await login(await client_from(new_address()), email, VICTIM_PASSWORD))[0])
    guesses = [VICTIM_PASSWORD, *(f"planted guess {n} xyz" for n in range(1, 12))]

    # when: for each password the attacker wants to try, a workspace of their own on the
    # victim's e-mail with that password, then a sign-in without a workspace, each from
    # an address of its own
    results = []
    for n, guess in enumerate(guesses):
        await _sign_up(gql, email, guess, f"Planted {n}")
        http = await client_from(new_address())
        results.append(outcome((await login(http, email, guess))[0]))

    # then: each sign-in was a guess at the victim (the first told that the password opens
    # the victim's account too: "name a workspace"), so past 10 none is heard
    assert results[0] == "REQUIRED"
    assert "RATE_LIMITED" not in results[:10]
    assert results[10:] == ["RATE_LIMITED"] * 2
