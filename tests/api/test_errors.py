"""Client errors reach the client as they are; unexpected errors are masked and logged."""

import base64
import json
from pathlib import Path

import httpx
import pytest

from tests.factories import create_customer
from tests.helpers import Account, GraphQL
from tests.ops.processes import crm_env, crm_serve

CUSTOMERS_AFTER = """
query Page($after: String) { customers(first: 10, after: $after) { edges { node { id } } } }
"""
CUSTOMERS_BY_NAME_AFTER = """
query Page($after: String) {
  customers(first: 10, after: $after, orderBy: {field: NAME, direction: ASC}) { edges { node { id } } }
}
"""
CONTACTS_AFTER = """
query Contacts($id: ID!, $after: String) {
  customer(id: $id) { contacts(first: 10, after: $after) { edges { node { id } } } }
}
"""
SIGN_UP = """
mutation { signUp(workspaceName: "W", name: "N", email: "masked@example.com", password: "long enough") { token errors { message } } }
"""
VIEWER = "{ viewer { id } }"


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def _only_error(result) -> dict:
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


@pytest.fixture
async def customer_id(gql: GraphQL, workspace: Account) -> str:
    contacts = [{"name": "甲"}, {"name": "乙"}]
    return (await create_customer(gql, workspace, name="游标客户", contacts=contacts))["id"]


# ---------------------------------------------------------------- client errors


async def test_unauthenticated_error_is_not_masked(gql: GraphQL):
    # given / when
    error = _only_error(await gql.execute(VIEWER))

    # then
    assert error["message"].startswith("Sign in first")
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "MISSING"}


async def test_syntax_error_is_not_masked(gql: GraphQL):
    # given / when
    result = await gql.execute("{ viewer { id ")

    # then
    assert result.data is None
    assert "Syntax Error" in _only_error(result)["message"]


async def test_validation_error_is_not_masked(gql: GraphQL, workspace: Account):
    # given / when
    result = await gql.execute("{ viewer { salary } }", token=workspace.token)

    # then
    assert result.data is None
    assert "salary" in _only_error(result)["message"]


@pytest.mark.parametrize(
    "cursor",
    ["not a cursor", _cursor({"a": 1}), _cursor(["updated_at", "yesterday", 1])],
    ids=["garbage", "wrong-shape", "bad-timestamp"],
)
async def test_garbage_cursor_is_a_client_error(gql: GraphQL, workspace: Account, cursor: str):
    # given / when
    result = await gql.execute(CUSTOMERS_AFTER, {"after": cursor}, workspace.token)

    # then
    assert result.data is None
    error = _only_error(result)
    assert error["extensions"]["code"] == "BAD_CURSOR"
    assert "cursor" in error["message"]


async def test_cursor_of_another_ordering_is_a_client_error(gql: GraphQL, workspace: Account):
    # given: a cursor shaped like those the default (updatedAt) ordering gives out
    cursor = _cursor(["updated_at", "2030-01-01T00:00:00+00:00", 1])

    # when
    result = await gql.execute(CUSTOMERS_BY_NAME_AFTER, {"after": cursor}, workspace.token)

    # then
    assert result.data is None
    assert _only_error(result)["extensions"]["code"] == "BAD_CURSOR"


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(["updated_at", "2030-01-01T00:00:00+00:00", 2**63]),
        _cursor(["updated_at", "2030-01-01T00:00:00+00:00", 10**30]),
    ],
    ids=["id-past-bigint", "id-far-past-bigint"],
)
async def test_forged_cursor_with_an_impossible_id_is_a_client_error(
    gql: GraphQL, workspace: Account, cursor: str
):
    # given: a cursor no server could have given out: ids are 64-bit

    # when
    result = await gql.execute(CUSTOMERS_AFTER, {"after": cursor}, workspace.token)

    # then
    assert result.data is None
    assert _only_error(result)["extensions"]["code"] == "BAD_CURSOR"


async def test_forged_cursor_with_a_nul_character_is_not_an_internal_error(
    gql: GraphQL, workspace: Account
):
    # given: a NAME cursor whose sort value holds a NUL (PostgreSQL refuses NUL in text)
    cursor = _cursor(["name", "云帆\x00科技", 1])

    # when
    result = await gql.execute(CUSTOMERS_BY_NAME_AFTER, {"after": cursor}, workspace.token)

    # then: refused as a bad cursor, or simply paged past; never an unexpected error
    codes = [error["extensions"]["code"] for error in result.errors]
    assert codes in ([], ["BAD_CURSOR"]), result.errors


@pytest.mark.parametrize(
    "cursor",
    [_cursor(["#", 2**63]), _cursor(["#", 10**30])],
    ids=["position-past-bigint", "position-far-past-bigint"],
)
async def test_forged_nested_cursor_with_an_impossible_position_is_a_client_error(
    gql: GraphQL, workspace: Account, customer_id: str, cursor: str
):
    # given: a position beyond anything a list can hold

    # when
    result = await gql.execute(
        CONTACTS_AFTER, {"id": customer_id, "after": cursor}, workspace.token
    )

    # then
    assert result.data == {"customer": None}
    assert _only_error(result)["extensions"]["code"] == "BAD_CURSOR"


async def test_nested_cursor_from_the_api_pages_on(
    gql: GraphQL, workspace: Account, customer_id: str
):
    # given: the control for the forged nested cursors above
    first = (
        await gql.execute(CONTACTS_AFTER, {"id": customer_id, "after": None}, workspace.token)
    ).ok()
    edges = first["customer"]["contacts"]["edges"]

    # when
    after_first = _cursor(["#", 0])
    rest = (
        await gql.execute(
            CONTACTS_AFTER, {"id": customer_id, "after": after_first}, workspace.token
        )
    ).ok()

    # then
    assert rest["customer"]["contacts"]["edges"] == edges[1:]


# ---------------------------------------------------------------- unexpected errors


def test_unexpected_error_is_masked_and_logged_with_its_request_id(tmp_path: Path):
    # given: a server whose database was never migrated, so every table is missing
    env = crm_env(
        DATABASE_URL=f"sqlite://{tmp_path / 'never-migrated.sqlite3'}",
        EMBEDDED_REDIS_PATH=str(tmp_path / "redis.db"),
    )
    with crm_serve(tmp_path, env) as served:
        # when
        body = httpx.post(f"{served.base_url}/graphql", json={"query": SIGN_UP}, timeout=30).json()
        log = served.output()

    # then: the client learns only that it failed, and what to quote
    assert body["data"] is None
    assert len(body["errors"]) == 1, body["errors"]
    error = body["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL"
    request_id = error["extensions"]["requestId"]
    assert request_id
    assert "no such table" not in json.dumps(body).lower()
    # and the operator finds the cause under that request id
    assert f"(request {request_id})" in log
    assert "no such table" in log.lower()
