"""login: the right password gives a working token; a wrong one says no more than that."""

from tests.helpers import Account, GraphQL

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token
    user { id email role }
    errors { field message code }
  }
}
"""
VIEWER = "{ viewer { id email } }"


async def test_login_returns_a_token_usable_as_bearer(gql: GraphQL, workspace: Account):
    # given / when
    payload = (
        await gql.execute(LOGIN, {"email": workspace.email, "password": workspace.password})
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
    payload = (await gql.execute(LOGIN, {"email": typed, "password": workspace.password})).ok()[
        "login"
    ]

    # then
    assert payload["errors"] == []
    assert payload["user"]["id"] == workspace.user_id


async def test_wrong_password_and_unknown_email_get_the_same_error(
    gql: GraphQL, workspace: Account
):
    # given
    wrong_password = {"email": workspace.email, "password": "not the password"}
    unknown_email = {"email": "nobody-here@example.com", "password": workspace.password}

    # when
    wrong = (await gql.execute(LOGIN, wrong_password)).ok()["login"]
    unknown = (await gql.execute(LOGIN, unknown_email)).ok()["login"]

    # then
    for payload in (wrong, unknown):
        assert payload["token"] is None
        assert payload["user"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "INVALID")]
    assert wrong["errors"] == unknown["errors"]


async def test_password_is_case_sensitive(gql: GraphQL, workspace: Account):
    # given / when
    payload = (
        await gql.execute(LOGIN, {"email": workspace.email, "password": workspace.password.upper()})
    ).ok()["login"]

    # then
    assert payload["token"] is None
    assert payload["errors"][0]["code"] == "INVALID"
