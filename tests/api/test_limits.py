"""Limits on a query document and on page sizes: refused up front, with no data."""

import pytest

from tests.factories import create_customer
from tests.helpers import Account, GraphQL

CUSTOMERS_FIRST = "query Page($first: Int) { customers(first: $first) { totalCount } }"
CUSTOMERS_LAST = "query Page($last: Int) { customers(last: $last) { totalCount } }"
NESTED_FIRST = """
query Nested($id: ID!, $first: Int) { customer(id: $id) { contacts(first: $first) { totalCount } } }
"""
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000
MAX_PAGE_SIZE = 100
# customer → contacts → edges → node (a Contact) → customer → contacts …
_CHAIN = ["contacts", "edges", "node", "customer"]


def _query_of_depth(depth: int) -> str:
    """A valid query whose deepest field is `depth` levels below the root field."""
    selection = "id"
    for level in range(depth - 1, 0, -1):
        selection = f"{_CHAIN[(level - 1) % len(_CHAIN)]} {{ {selection} }}"
    return f"query Deep($id: ID!) {{ customer(id: $id) {{ {selection} }} }}"


def _query_with_aliases(count: int) -> str:
    return "{ " + " ".join(f"w{i}: workspace {{ id }}" for i in range(count)) + " }"


def _query_with_tokens(count: int) -> str:
    # "{ workspace {" + (count - 5) × "id" + "} }" is `count` tokens.
    return "{ workspace { " + "id " * (count - 5) + "} }"


@pytest.fixture
async def customer_id(gql: GraphQL, workspace: Account) -> str:
    contacts = [{"name": "联系人"}]
    return (await create_customer(gql, workspace, name="深层客户", contacts=contacts))["id"]


def _assert_refused(result, *words: str) -> None:
    assert result.data is None
    assert result.errors
    message = " ".join(error["message"] for error in result.errors)
    for word in words:
        assert word in message, message


async def test_query_at_max_depth_runs(gql: GraphQL, workspace: Account, customer_id: str):
    # given
    query = _query_of_depth(MAX_DEPTH)

    # when
    data = (await gql.execute(query, {"id": customer_id}, workspace.token)).ok()

    # then
    assert data["customer"]["contacts"]["edges"][0]["node"]["customer"]["contacts"]


async def test_query_deeper_than_max_depth_is_refused(
    gql: GraphQL, workspace: Account, customer_id: str
):
    # given
    query = _query_of_depth(MAX_DEPTH + 1)

    # when
    result = await gql.execute(query, {"id": customer_id}, workspace.token)

    # then
    _assert_refused(result, "depth", str(MAX_DEPTH))


async def test_depth_limit_applies_before_authentication(gql: GraphQL):
    # given / when
    result = await gql.execute(_query_of_depth(MAX_DEPTH + 5), {"id": "x"})

    # then
    _assert_refused(result, "depth")


async def test_max_aliases_run(gql: GraphQL, workspace: Account):
    # given / when
    data = (await gql.execute(_query_with_aliases(MAX_ALIASES), token=workspace.token)).ok()

    # then
    assert len(data) == MAX_ALIASES


async def test_more_aliases_are_refused(gql: GraphQL, workspace: Account):
    # given / when
    result = await gql.execute(_query_with_aliases(MAX_ALIASES + 1), token=workspace.token)

    # then
    _assert_refused(result, "aliases", str(MAX_ALIASES))


async def test_small_document_of_the_same_shape_runs(gql: GraphQL, workspace: Account):
    # given / when
    data = (await gql.execute(_query_with_tokens(100), token=workspace.token)).ok()

    # then
    assert data["workspace"]["id"]


async def test_huge_document_is_refused(gql: GraphQL, workspace: Account):
    # given / when
    result = await gql.execute(_query_with_tokens(MAX_TOKENS + 100), token=workspace.token)

    # then
    _assert_refused(result, "tokens", str(MAX_TOKENS))


async def test_very_large_document_is_refused_without_authentication(gql: GraphQL):
    # given / when
    result = await gql.execute(_query_with_tokens(50_000))

    # then
    _assert_refused(result, "tokens")


@pytest.mark.parametrize(
    ("document", "argument"), [(CUSTOMERS_FIRST, "first"), (CUSTOMERS_LAST, "last")]
)
async def test_page_size_above_maximum_is_refused_with_a_clear_message(
    gql: GraphQL, workspace: Account, document: str, argument: str
):
    # given / when
    result = await gql.execute(document, {argument: MAX_PAGE_SIZE + 1}, workspace.token)

    # then
    _assert_refused(result, f"`{argument}`", f"at most {MAX_PAGE_SIZE}")
    assert result.errors[0]["extensions"] == {"code": "BAD_PAGINATION", "maximum": MAX_PAGE_SIZE}


async def test_page_size_at_maximum_runs(gql: GraphQL, workspace: Account):
    # given / when
    data = (await gql.execute(CUSTOMERS_FIRST, {"first": MAX_PAGE_SIZE}, workspace.token)).ok()

    # then
    assert data == {"customers": {"totalCount": 0}}


async def test_negative_page_size_is_refused(gql: GraphQL, workspace: Account):
    # given / when
    result = await gql.execute(CUSTOMERS_FIRST, {"first": -1}, workspace.token)

    # then
    _assert_refused(result, "`first`", "negative")
    assert result.errors[0]["extensions"]["code"] == "BAD_PAGINATION"


async def test_nested_page_size_above_maximum_is_refused(
    gql: GraphQL, workspace: Account, customer_id: str
):
    # given / when
    result = await gql.execute(
        NESTED_FIRST, {"id": customer_id, "first": MAX_PAGE_SIZE + 1}, workspace.token
    )

    # then: the nullable customer is nulled, and nothing of it is returned
    assert result.data == {"customer": None}
    assert result.errors[0]["extensions"]["code"] == "BAD_PAGINATION"
    assert f"at most {MAX_PAGE_SIZE}" in result.errors[0]["message"]
