"""A NUL character in account input is the client's mistake, never an internal error.

PostgreSQL refuses NUL in text where SQLite stores it; either way the client must
get an answer in the payload, never a masked "Unexpected error.".
"""

import uuid

import pytest

from tests.documents import document
from tests.helpers import GraphQL


def _variables(**overrides: str) -> dict[str, str]:
    return {
        "workspaceName": "云帆科技",
        "name": "Ada",
        "email": f"nul-{uuid.uuid4().hex[:10]}@example.com",
        "password": "correct horse battery",
    } | overrides


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"workspaceName": "云帆\x00科技"}, id="workspaceName"),
        pytest.param({"name": "A\x00da"}, id="name"),
        pytest.param({"email": f"nul\x00{uuid.uuid4().hex[:6]}@example.com"}, id="email"),
    ],
)
async def test_nul_in_sign_up_is_answered_in_the_payload(gql: GraphQL, overrides: dict[str, str]):
    # given
    (field,) = overrides

    # when
    result = await gql.execute(document("signUp"), _variables(**overrides))

    # then: signed up, or refused at that field; never an internal error
    assert result.errors == []
    payload = result.ok()["signUp"]
    if payload["token"] is None:
        assert [e["field"] for e in payload["errors"]] == [field]


async def test_nul_in_login_email_is_a_wrong_login(gql: GraphQL):
    # given / when
    result = await gql.execute(
        document("login"), {"email": "no\x00body@example.com", "password": "correct horse battery"}
    )

    # then
    assert result.errors == []
    payload = result.ok()["login"]
    assert payload["token"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "INVALID")]
