"""inviteUser: managers and admins add colleagues to their own workspace, never above their role."""

import uuid

import pytest

from models import User
from tests.documents import document
from tests.helpers import Account, GraphQL

INVITE_WITH_DEFAULT_ROLE = """
mutation Invite($email: String!) {
  inviteUser(name: "Rep", email: $email, password: "rep password") {
    user { role }
    errors { field code }
  }
}
"""
CREATE_API_KEY = """
mutation CreateKey($role: Role!) { createApiKey(name: "ERP", role: $role) { secret } }
"""
VIEWER = "{ viewer { id email role } workspace { id name } }"
PASSWORD = "colleague password"


def _email() -> str:
    return f"invitee-{uuid.uuid4().hex[:10]}@example.com"


async def _invite(gql: GraphQL, token: str, role: str, email: str | None = None) -> dict:
    variables = {"name": "同事", "email": email or _email(), "password": PASSWORD, "role": role}
    return (await gql.execute(document("inviteUser"), variables, token)).ok()["inviteUser"]


async def _member(gql: GraphQL, admin: Account, role: str) -> Account:
    payload = await _invite(gql, admin.token, role)
    assert payload["errors"] == [], payload["errors"]
    email = payload["user"]["email"]
    login = (await gql.execute(document("login"), {"email": email, "password": PASSWORD})).ok()[
        "login"
    ]
    return Account(login["token"], payload["user"]["id"], email, PASSWORD)


@pytest.mark.parametrize("role", ["MANAGER", "REP", "ADMIN"])
async def test_admin_invites_any_role(gql: GraphQL, workspace: Account, role: str):
    # given / when
    payload = await _invite(gql, workspace.token, role)

    # then
    assert payload["errors"] == []
    assert payload["user"]["role"] == role
    assert payload["token"] is None  # the invitee signs in with their own password


async def test_role_defaults_to_rep(gql: GraphQL, workspace: Account):
    # given / when
    payload = (
        await gql.execute(INVITE_WITH_DEFAULT_ROLE, {"email": _email()}, workspace.token)
    ).ok()["inviteUser"]

    # then
    assert payload == {"user": {"role": "REP"}, "errors": []}


async def test_invitee_logs_in_to_the_same_workspace(gql: GraphQL, workspace: Account):
    # given
    admin_view = (await gql.execute(VIEWER, token=workspace.token)).ok()
    invited = await _invite(gql, workspace.token, "MANAGER")

    # when
    login = (
        await gql.execute(
            document("login"), {"email": invited["user"]["email"], "password": PASSWORD}
        )
    ).ok()["login"]
    invitee_view = (await gql.execute(VIEWER, token=login["token"])).ok()

    # then
    assert login["errors"] == []
    assert invitee_view["viewer"] == {
        "id": invited["user"]["id"],
        "email": invited["user"]["email"],
        "role": "MANAGER",
    }
    assert invitee_view["workspace"] == admin_view["workspace"]


async def test_rep_cannot_invite(gql: GraphQL, workspace: Account):
    # given
    rep = await _member(gql, workspace, "REP")
    email = _email()

    # when
    payload = await _invite(gql, rep.token, "REP", email)

    # then
    assert payload["user"] is None
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    login = (await gql.execute(document("login"), {"email": email, "password": PASSWORD})).ok()[
        "login"
    ]
    assert login["token"] is None


async def test_manager_invites_reps_and_managers(gql: GraphQL, workspace: Account):
    # given
    manager = await _member(gql, workspace, "MANAGER")

    # when
    rep = await _invite(gql, manager.token, "REP")
    peer = await _invite(gql, manager.token, "MANAGER")

    # then
    assert rep["errors"] == [] and rep["user"]["role"] == "REP"
    assert peer["errors"] == [] and peer["user"]["role"] == "MANAGER"


async def test_manager_cannot_grant_admin(gql: GraphQL, workspace: Account):
    # given
    manager = await _member(gql, workspace, "MANAGER")
    email = _email()

    # when
    payload = await _invite(gql, manager.token, "ADMIN", email)

    # then
    assert payload["user"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("role", "FORBIDDEN")]
    login = (await gql.execute(document("login"), {"email": email, "password": PASSWORD})).ok()[
        "login"
    ]
    assert login["token"] is None


async def test_an_email_used_in_another_workspace_is_invited_without_a_word(
    gql: GraphQL, workspace: Account
):
    # given: an e-mail already used in another workspace, given in another case
    other = await gql.sign_up()

    # when
    payload = await _invite(gql, workspace.token, "REP", other.email.upper())

    # then: invited like any e-mail; each account signs in to its own workspace
    assert payload["errors"] == []
    assert payload["user"]["email"] == other.email
    own = (
        await gql.execute(document("login"), {"email": other.email, "password": other.password})
    ).ok()
    invited = (
        await gql.execute(document("login"), {"email": other.email, "password": PASSWORD})
    ).ok()
    own_view = (await gql.execute(VIEWER, token=own["login"]["token"])).ok()
    invited_view = (await gql.execute(VIEWER, token=invited["login"]["token"])).ok()
    assert own_view["viewer"]["id"] == other.user_id
    assert invited_view["viewer"]["id"] == payload["user"]["id"]


async def test_an_email_already_in_the_workspace_is_duplicate(gql: GraphQL, workspace: Account):
    # given
    email = _email()
    assert (await _invite(gql, workspace.token, "REP", email))["errors"] == []

    # when
    payload = await _invite(gql, workspace.token, "MANAGER", f" {email.upper()}")

    # then
    assert payload["user"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("email", "DUPLICATE")]


@pytest.mark.parametrize("role", ["ADMIN", "MANAGER"])
async def test_an_api_key_cannot_invite(gql: GraphQL, workspace: Account, role: str):
    # given: an integrator's key, of a role that may invite
    key = (await gql.execute(CREATE_API_KEY, {"role": role}, workspace.token)).ok()
    secret = key["createApiKey"]["secret"]
    email = _email()

    # when
    payload = await _invite(gql, secret, "REP", email)

    # then: no sign-in is made for anyone
    assert payload["user"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "FORBIDDEN")]
    assert not await User.filter(email=email).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        pytest.param({"email": "not-an-email"}, "email", "INVALID", id="invalid-email"),
        pytest.param({"email": " "}, "email", "REQUIRED", id="blank-email"),
        pytest.param({"password": "short"}, "password", "INVALID", id="short-password"),
        pytest.param({"password": "12345678"}, "password", "INVALID", id="eight-digits"),
        pytest.param({"password": "          "}, "password", "REQUIRED", id="blank-password"),
        pytest.param({"password": "zzzzzzzzzzzz"}, "password", "INVALID", id="one-character"),
        pytest.param({"password": "iloveyou123"}, "password", "INVALID", id="common-password"),
        pytest.param(
            {"name": "Grace Hopper", "password": "gracehopper"},
            "password",
            "INVALID",
            id="like-the-name",
        ),
        pytest.param({"name": " "}, "name", "REQUIRED", id="blank-name"),
    ],
)
async def test_bad_invite_input_is_a_user_error(
    gql: GraphQL, workspace: Account, overrides: dict[str, str], field: str, code: str
):
    # given
    variables = {"name": "同事", "email": _email(), "password": PASSWORD, "role": "REP"}

    # when
    payload = (
        await gql.execute(document("inviteUser"), variables | overrides, workspace.token)
    ).ok()["inviteUser"]

    # then
    assert payload["user"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]


async def test_invite_needs_a_signed_in_user(gql: GraphQL):
    # given
    variables = {"name": "同事", "email": _email(), "password": PASSWORD, "role": "REP"}

    # when
    result = await gql.execute(document("inviteUser"), variables)

    # then
    assert result.data is None
    assert result.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
