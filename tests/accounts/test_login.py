"""login: the right password gives a working token; a wrong one says no more than that."""

import uuid

import pytest

from api.core.ids import from_global_id
from domain.passwords import hash_password
from models import User
from tests.documents import document
from tests.helpers import Account, GraphQL

INVITE = """
mutation Invite($email: String!, $password: String!) {
  inviteUser(name: "同事", email: $email, password: $password) { user { id } errors { code } }
}
"""
VIEWER = "{ viewer { id email } }"
WORKSPACE = "{ workspace { id name } }"


async def test_login_returns_a_token_usable_as_bearer(gql: GraphQL, workspace: Account):
    # given / when
    payload = (
        await gql.execute(
            document("login"), {"email": workspace.email, "password": workspace.password}
        )
    ).ok()["login"]

    # then
    assert payload["errors"] == []
    assert payload["user"]["id"] == workspace.user_id
    data = (await gql.execute(VIEWER, token=payload["token"])).ok()
    assert data["viewer"] == {"id": workspace.user_id, "email": workspace.email}


async def test_login_email_is_case_insensitive(gql: GraphQL, workspace: Account):
    # given
    typed = f"  {workspace.email.upper()} "

    # when
    payload = (
        await gql.execute(document("login"), {"email": typed, "password": workspace.password})
    ).ok()["login"]

    # then
    assert payload["errors"] == []
    assert payload["user"]["id"] == workspace.user_id


async def test_wrong_password_and_unknown_email_get_the_same_error(
    gql: GraphQL, workspace: Account
):
    # given
    wrong_password = {"email": workspace.email, "password": "not the password"}
    # A new e-mail each run: failures for a fixed one would add up in a Redis shared by runs.
    unknown_email = {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "x"}

    # when
    wrong = (await gql.execute(document("login"), wrong_password)).ok()["login"]
    unknown = (await gql.execute(document("login"), unknown_email)).ok()["login"]

    # then
    for payload in (wrong, unknown):
        assert payload["token"] is None
        assert payload["user"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "INVALID")]
    assert wrong["errors"] == unknown["errors"]


async def test_password_is_case_sensitive(gql: GraphQL, workspace: Account):
    # given / when
    payload = (
        await gql.execute(
            document("login"), {"email": workspace.email, "password": workspace.password.upper()}
        )
    ).ok()["login"]

    # then
    assert payload["token"] is None
    assert payload["errors"][0]["code"] == "INVALID"


async def _workspace_of(gql: GraphQL, account: Account) -> dict:
    return (await gql.execute(WORKSPACE, token=account.token)).ok()["workspace"]


async def _invite(gql: GraphQL, admin: Account, email: str, password: str) -> str:
    payload = (await gql.execute(INVITE, {"email": email, "password": password}, admin.token)).ok()
    assert payload["inviteUser"]["errors"] == []
    return payload["inviteUser"]["user"]["id"]


async def _login_to(gql: GraphQL, email: str, password: str, workspace_id: str | None = None):
    variables = {"email": email, "password": password, "workspaceId": workspace_id}
    return (await gql.execute(document("login"), variables)).ok()["login"]


async def test_one_email_in_two_workspaces_signs_in_where_its_password_opens(
    gql: GraphQL, workspace: Account
):
    # given: the admin's e-mail invited into another workspace, with another password
    other = await gql.sign_up()
    invited_id = await _invite(gql, other, workspace.email, "another horse battery")

    # when
    first = await _login_to(gql, workspace.email, workspace.password)
    second = await _login_to(gql, workspace.email, "another horse battery")

    # then
    assert first["errors"] == [] and first["user"]["id"] == workspace.user_id
    assert second["errors"] == [] and second["user"]["id"] == invited_id


async def test_a_password_that_opens_two_workspaces_asks_to_name_one(
    gql: GraphQL, workspace: Account
):
    # given: the same e-mail and password in two workspaces
    other = await gql.sign_up(workspace_name="Second 第二")
    invited_id = await _invite(gql, other, workspace.email, workspace.password)
    first_workspace = await _workspace_of(gql, workspace)
    second_workspace = await _workspace_of(gql, other)

    # when
    ambiguous = await _login_to(gql, workspace.email, workspace.password)
    named = await _login_to(gql, workspace.email, workspace.password, second_workspace["id"])

    # then: told which workspaces (the caller knows the password of each), then let in
    assert ambiguous["token"] is None
    assert [(e["field"], e["code"]) for e in ambiguous["errors"]] == [("workspaceId", "REQUIRED")]
    message = ambiguous["errors"][0]["message"]
    assert first_workspace["id"] in message and second_workspace["id"] in message
    assert "Second 第二" in message
    assert named["errors"] == [] and named["user"]["id"] == invited_id
    view = (await gql.execute(WORKSPACE, token=named["token"])).ok()["workspace"]
    assert view == second_workspace


@pytest.mark.parametrize("workspace_id", ["other", "V29ya3NwYWNlOjA", "not an id", "VXNlcjox"])
async def test_a_workspace_the_email_has_no_account_in_is_a_wrong_login(
    gql: GraphQL, workspace: Account, workspace_id: str
):
    # given: another workspace's id, a workspace id of 0, garbage, a User id
    if workspace_id == "other":
        workspace_id = (await _workspace_of(gql, await gql.sign_up()))["id"]

    # when
    payload = await _login_to(gql, workspace.email, workspace.password, workspace_id)

    # then: answered as a wrong password, telling nothing of the id
    assert payload["token"] is None
    assert payload["errors"] == [
        {"field": None, "message": "Wrong e-mail or password.", "code": "INVALID"}
    ]


async def test_an_old_short_password_still_signs_in(gql: GraphQL, workspace: Account):
    # given: a user whose password predates the rule of 10 characters
    user = await User.get(id=from_global_id(workspace.user_id)[1])
    user.password_hash = await hash_password("1234567")
    await user.save(update_fields=["password_hash"])

    # when
    payload = await _login_to(gql, workspace.email, "1234567")

    # then
    assert payload["errors"] == [] and payload["user"]["id"] == workspace.user_id


@pytest.mark.parametrize("workspace_id", [None, "V29ya3NwYWNlOjE"], ids=["any", "named"])
async def test_an_email_longer_than_any_account_has_is_a_wrong_login(
    gql: GraphQL, workspace_id: str | None
):
    # given: before, the accounts were looked up by it, and Tortoise refused the filter
    # ("Unexpected error."; found by tests/api/test_random_variables.py)
    email = "x" * 10_001 + "@example.com"

    # when
    payload = await _login_to(gql, email, "correct horse battery", workspace_id)

    # then
    assert payload["token"] is None
    assert payload["errors"] == [
        {"field": None, "message": "Wrong e-mail or password.", "code": "INVALID"}
    ]
