"""signUp refuses bad input field by field, and keeps only a hash of the password."""

import uuid

import pytest
from argon2 import PasswordHasher

from models import User, Workspace
from tests.documents import document
from tests.helpers import GraphQL

VIEWER = "{ viewer { email timezone } workspace { name timezone } }"
WORKSPACE = "{ workspace { id } }"
PASSWORD = "correct horse battery"


def _email() -> str:
    return f"signup-{uuid.uuid4().hex[:10]}@example.com"


def _variables(**overrides: str | None) -> dict[str, str | None]:
    return {
        "workspaceName": "云帆科技",
        "name": "Ada",
        "email": _email(),
        "password": PASSWORD,
        "timezone": None,
    } | overrides


async def test_an_email_used_elsewhere_signs_up_a_workspace_of_its_own(gql: GraphQL):
    # given: an account with the e-mail, in another case
    email = _email()
    first = (await gql.execute(document("signUp"), _variables(email=email))).ok()["signUp"]

    # when: the same e-mail signs up again (as anyone may try, to learn whether it exists)
    payload = (await gql.execute(document("signUp"), _variables(email=f"  {email.upper()} "))).ok()[
        "signUp"
    ]

    # then: a new workspace, answered like any sign-up: nothing tells of the first account
    assert payload["errors"] == []
    assert payload["user"]["email"] == email
    assert payload["user"]["id"] != first["user"]["id"]
    mine = (await gql.execute(WORKSPACE, token=payload["token"])).ok()["workspace"]
    theirs = (await gql.execute(WORKSPACE, token=first["token"])).ok()["workspace"]
    assert mine["id"] != theirs["id"]


async def test_email_is_stored_lower_cased(gql: GraphQL):
    # given
    email = _email()

    # when
    payload = (await gql.execute(document("signUp"), _variables(email=email.upper()))).ok()[
        "signUp"
    ]

    # then
    assert payload["errors"] == []
    assert payload["user"]["email"] == email


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        pytest.param({"email": "not-an-email"}, "email", "INVALID", id="invalid-email"),
        pytest.param({"email": "ada@example"}, "email", "INVALID", id="email-without-domain"),
        pytest.param({"email": "   "}, "email", "REQUIRED", id="blank-email"),
        pytest.param({"password": "short"}, "password", "INVALID", id="short-password"),
        pytest.param({"password": "1234567"}, "password", "INVALID", id="seven-characters"),
        pytest.param({"password": "12345678"}, "password", "INVALID", id="eight-digits"),
        pytest.param({"password": "horse bat"}, "password", "INVALID", id="nine-characters"),
        pytest.param({"password": "        "}, "password", "REQUIRED", id="eight-spaces"),
        pytest.param({"password": " " * 12}, "password", "REQUIRED", id="twelve-spaces"),
        pytest.param({"password": "aaaaaaaaaaaa"}, "password", "INVALID", id="one-character"),
        pytest.param({"password": "abababababab"}, "password", "INVALID", id="two-repeated"),
        pytest.param({"password": "1234567890"}, "password", "INVALID", id="common"),
        pytest.param({"password": "Password123"}, "password", "INVALID", id="common-any-case"),
        pytest.param(
            {"workspaceName": "Yunfan Tech", "password": "yunfantech!"},
            "password",
            "INVALID",
            id="like-the-workspace",
        ),
        pytest.param(
            {"email": "ada.lovelace@example.com", "password": "Ada.Lovelace"},
            "password",
            "INVALID",
            id="like-the-email",
        ),
        pytest.param({"timezone": "Mars/Olympus"}, "timezone", "INVALID", id="bad-timezone"),
        pytest.param({"timezone": "../etc/passwd"}, "timezone", "INVALID", id="path-timezone"),
        # Before: OSError, "File name too long" (found by tests/api/test_random_variables.py)
        pytest.param({"timezone": "x" * 300}, "timezone", "INVALID", id="long-timezone"),
        pytest.param({"workspaceName": "   "}, "workspaceName", "REQUIRED", id="blank-workspace"),
        pytest.param({"workspaceName": ""}, "workspaceName", "REQUIRED", id="empty-workspace"),
        pytest.param({"name": " "}, "name", "REQUIRED", id="blank-name"),
    ],
)
async def test_bad_input_is_a_user_error_at_its_field(
    gql: GraphQL, overrides: dict[str, str], field: str, code: str
):
    # given
    variables = _variables(**overrides)

    # when
    result = await gql.execute(document("signUp"), variables)

    # then
    payload = result.ok()["signUp"]
    assert payload["token"] is None
    assert payload["user"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert payload["errors"][0]["message"]


async def test_refused_sign_up_creates_nothing(gql: GraphQL):
    # given
    email = _email()
    workspaces_before = await Workspace.filter(name="无效的工作区").count()

    # when
    payload = (
        await gql.execute(
            document("signUp"),
            _variables(email=email, workspaceName="无效的工作区", timezone="Mars/Olympus"),
        )
    ).ok()["signUp"]

    # then
    assert payload["errors"]
    assert not await User.filter(email=email).exists()
    assert await Workspace.filter(name="无效的工作区").count() == workspaces_before


async def test_every_problem_is_reported_at_once(gql: GraphQL):
    # given
    variables = _variables(
        workspaceName=" ", email="nope", password="short", timezone="Mars/Olympus"
    )

    # when
    payload = (await gql.execute(document("signUp"), variables)).ok()["signUp"]

    # then
    assert {e["field"] for e in payload["errors"]} == {
        "workspaceName",
        "email",
        "password",
        "timezone",
    }


async def test_timezone_is_kept_for_user_and_workspace(gql: GraphQL):
    # given
    payload = (await gql.execute(document("signUp"), _variables(timezone="Asia/Shanghai"))).ok()[
        "signUp"
    ]

    # when
    data = (await gql.execute(VIEWER, token=payload["token"])).ok()

    # then
    assert data["viewer"]["timezone"] == "Asia/Shanghai"
    assert data["workspace"]["timezone"] == "Asia/Shanghai"


async def test_password_is_stored_as_an_argon2_hash(gql: GraphQL):
    # given
    email = _email()

    # when
    (await gql.execute(document("signUp"), _variables(email=email))).ok()

    # then
    user = await User.get(email=email)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, PASSWORD)
