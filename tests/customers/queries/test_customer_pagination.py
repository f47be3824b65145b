"""customers(first/after, last/before): keyset pages, their pageInfo, and what is refused."""

import base64
import json
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from models import Customer
from tests.factories import create_customer, gid, workspace_pk
from tests.helpers import GraphQL, count_queries

PAGE = """
query Page(
  $first: Int, $after: String, $last: Int, $before: String,
  $filter: CustomerFilter, $orderBy: CustomerOrder
) {
  customers(
    first: $first, after: $after, last: $last, before: $before,
    filter: $filter, orderBy: $orderBy
  ) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
CONTACT_CURSOR = """
query ContactCursor($id: ID!) {
  customer(id: $id) { contacts(first: 1) { pageInfo { endCursor } } }
}
"""
LEAN_PAGE = """
query LeanPage($filter: CustomerFilter, $orderBy: CustomerOrder) {
  customers(first: 5, filter: $filter, orderBy: $orderBy) { edges { node { id name } } }
}
"""
COUNTED_PAGE = """
query CountedPage($filter: CustomerFilter, $orderBy: CustomerOrder) {
  customers(first: 5, filter: $filter, orderBy: $orderBy) { totalCount edges { node { id } } }
}
"""
BY_NAME = {"field": "NAME", "direction": "ASC"}


async def add_customers(account, *names: str) -> list[str]:
    """Customers written straight to the table (reading them is what is tested here)."""
    workspace_id = await workspace_pk(account)
    async with in_transaction():
        created = [await Customer.create(workspace_id=workspace_id, name=n) for n in names]
    return [gid("Customer", customer.id) for customer in created]


async def page(gql: GraphQL, token: str, **arguments: Any) -> dict:
    return (await gql.execute(PAGE, arguments, token)).ok()["customers"]


def names(connection: dict) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


def info(connection: dict) -> tuple[bool, bool]:
    return connection["pageInfo"]["hasPreviousPage"], connection["pageInfo"]["hasNextPage"]


def cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


async def test_first_and_after_walk_every_row_once(gql: GraphQL, workspace):
    # given
    await add_customers(workspace, "C", "A", "E", "B", "D")

    # when
    first = await page(gql, workspace.token, first=2, orderBy=BY_NAME)
    after = first["pageInfo"]["endCursor"]
    second = await page(gql, workspace.token, first=2, after=after, orderBy=BY_NAME)
    after = second["pageInfo"]["endCursor"]
    third = await page(gql, workspace.token, first=2, after=after, orderBy=BY_NAME)

    # then
    assert [names(first), names(second), names(third)] == [["A", "B"], ["C", "D"], ["E"]]
    assert [info(first), info(second), info(third)] == [
        (False, True),
        (True, True),
        (True, False),
    ]
    for connection in (first, second, third):
        assert connection["totalCount"] == 5
        cursors = [edge["cursor"] for edge in connection["edges"]]
        assert connection["pageInfo"]["startCursor"] == cursors[0]
        assert connection["pageInfo"]["endCursor"] == cursors[-1]


async def test_page_ending_exactly_at_the_last_row_has_no_next_page(gql: GraphQL, workspace):
    # given
    await add_customers(workspace, "A", "B", "C", "D")
    first = await page(gql, workspace.token, first=2, orderBy=BY_NAME)

    # when
    second = await page(
        gql, workspace.token, first=2, after=first["pageInfo"]["endCursor"], orderBy=BY_NAME
    )

    # then
    assert names(second) == ["C", "D"]
    assert info(second) == (True, False)


async def test_after_the_last_cursor_is_an_empty_page(gql: GraphQL, workspace):
    # given
    await add_customers(workspace, "A", "B")
    everything = await page(gql, workspace.token, first=2, orderBy=BY_NAME)

    # when
    beyond = await page(
        gql, workspace.token, first=2, after=everything["pageInfo"]["endCursor"], orderBy=BY_NAME
    )

    # then
    assert beyond["edges"] == []
    assert beyond["pageInfo"]["hasNextPage"] is False
    assert beyond["pageInfo"]["startCursor"] is None
    assert beyond["pageInfo"]["endCursor"] is None
    assert beyond["totalCount"] == 2


async def test_last_and_before_walk_backwards(gql: GraphQL, workspace):
    # given
    await add_customers(workspace, "C", "A", "E", "B", "D")

    # when
    last = await page(gql, workspace.token, last=2, orderBy=BY_NAME)
    before = last["pageInfo"]["startCursor"]
    middle = await page(gql, workspace.token, last=2, before=before, orderBy=BY_NAME)
    before = middle["pageInfo"]["startCursor"]
    head = await page(gql, workspace.token, last=2, before=before, orderBy=BY_NAME)

    # then: each page still reads in the ordering's direction
    assert [names(last), names(middle), names(head)] == [["D", "E"], ["B", "C"], ["A"]]
    assert [info(last), info(middle), info(head)] == [(True, False), (True, True), (False, True)]
    assert {c["totalCount"] for c in (last, middle, head)} == {5}


async def test_after_and_before_together_give_the_rows_between(gql: GraphQL, workspace):
    # given
    await add_customers(workspace, "A", "B", "C", "D", "E")
    everything = (await page(gql, workspace.token, first=5, orderBy=BY_NAME))["edges"]

    # when
    between = await page(
        gql,
        workspace.token,
        first=10,
        after=everything[0]["cursor"],
        before=everything[4]["cursor"],
        orderBy=BY_NAME,
    )

    # then
    assert names(between) == ["B", "C", "D"]


async def test_total_count_is_the_filtered_count_on_every_page(gql: GraphQL, workspace):
    # given
    await add_customers(workspace, "王一", "王二", "王三", "李四", "王五", "张六")
    flt = {"search": "王"}

    # when
    seen, after, totals = [], None, set()
    for _ in range(3):
        connection = await page(
            gql, workspace.token, first=2, after=after, filter=flt, orderBy=BY_NAME
        )
        seen += names(connection)
        totals.add(connection["totalCount"])
        after = connection["pageInfo"]["endCursor"]

    # then
    assert totals == {4}
    assert sorted(seen) == sorted(["王一", "王二", "王三", "王五"])


async def test_rows_added_while_paging_do_not_shift_the_next_page(gql: GraphQL, workspace):
    # given
    await add_customers(workspace, "B", "D", "F", "H")
    first = await page(gql, workspace.token, first=2, orderBy=BY_NAME)

    # when: a row appears before the cursor, another after it
    await add_customers(workspace, "A", "E")
    second = await page(
        gql, workspace.token, first=2, after=first["pageInfo"]["endCursor"], orderBy=BY_NAME
    )

    # then
    assert names(first) == ["B", "D"]
    assert names(second) == ["E", "F"]


async def test_empty_list_has_an_empty_page(gql: GraphQL, workspace):
    # when
    connection = await page(gql, workspace.token, first=10)

    # then
    assert connection == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


async def test_page_size_defaults_to_twenty(gql: GraphQL, workspace):
    # given
    await add_customers(workspace, *(f"Customer {i:02d}" for i in range(21)))

    # when
    connection = await page(gql, workspace.token, orderBy=BY_NAME)

    # then
    assert len(connection["edges"]) == 20
    assert connection["pageInfo"]["hasNextPage"] is True
    assert connection["totalCount"] == 21


async def test_first_100_is_allowed(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="Only")

    # when
    connection = await page(gql, workspace.token, first=100)

    # then
    assert names(connection) == ["Only"]


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param({"first": 101}, id="first-101"),
        pytest.param({"last": 101}, id="last-101"),
        pytest.param({"first": -1}, id="first-negative"),
        pytest.param({"first": 2, "last": 2}, id="first-and-last"),
    ],
)
async def test_bad_page_sizes_are_refused_without_data(gql: GraphQL, workspace, arguments):
    # given
    await create_customer(gql, workspace)

    # when
    result = await gql.execute(PAGE, arguments, workspace.token)

    # then
    assert result.data is None
    assert len(result.errors) == 1
    assert result.errors[0]["extensions"]["code"] == "BAD_PAGINATION"
    assert result.errors[0]["path"] == ["customers"]


async def test_first_101_names_the_maximum(gql: GraphQL, workspace):
    # when
    result = await gql.execute(PAGE, {"first": 101}, workspace.token)

    # then
    assert result.data is None
    assert result.errors[0]["extensions"] == {"code": "BAD_PAGINATION", "maximum": 100}
    assert "100" in result.errors[0]["message"]


@pytest.mark.parametrize(
    ("bad_cursor", "order_by"),
    [
        pytest.param("garbage", None, id="not-base64"),
        pytest.param("中文游标", None, id="not-ascii"),
        pytest.param(base64.urlsafe_b64encode(b"not json").decode(), None, id="not-json"),
        pytest.param(base64.urlsafe_b64encode(b"\xff\xfe").decode(), None, id="not-utf8"),
        pytest.param(cursor({"field": "name"}), None, id="an-object"),
        pytest.param(cursor(["updated_at", "2030-01-01T00:00:00+00:00"]), None, id="too-short"),
        pytest.param(cursor(["updated_at", "2030-01-01T00:00:00+00:00", "7"]), None, id="pk-text"),
        pytest.param(cursor(["updated_at", "yesterday", 7]), None, id="bad-instant"),
        pytest.param(cursor(["score", "lots", 7]), "SCORE", id="bad-number"),
        pytest.param(cursor(["score", [1], 7]), "SCORE", id="list-as-number"),
        pytest.param(cursor(["name", "A", 10**30]), "NAME", id="pk-out-of-range"),
        pytest.param(cursor(["name", None, 7]), "NAME", id="null-for-a-required-field"),
    ],
)
async def test_cursor_not_given_out_by_the_api_is_bad_cursor(
    gql: GraphQL, workspace, bad_cursor: str, order_by: str | None
):
    # given
    await create_customer(gql, workspace)
    variables: dict[str, Any] = {"first": 2, "after": bad_cursor}
    if order_by:
        variables["orderBy"] = {"field": order_by, "direction": "ASC"}

    # when
    result = await gql.execute(PAGE, variables, workspace.token)

    # then
    assert result.data is None
    assert [error["extensions"]["code"] for error in result.errors] == ["BAD_CURSOR"]


async def test_bad_before_cursor_is_bad_cursor(gql: GraphQL, workspace):
    # when
    result = await gql.execute(PAGE, {"last": 2, "before": "garbage"}, workspace.token)

    # then
    assert result.data is None
    assert result.errors[0]["extensions"]["code"] == "BAD_CURSOR"


@pytest.mark.parametrize(
    "other_order",
    [
        pytest.param({"field": "NAME", "direction": "DESC"}, id="name-reversed"),
        pytest.param({"field": "SCORE", "direction": "ASC"}, id="score"),
        pytest.param({"field": "CREATED_AT", "direction": "DESC"}, id="created"),
        pytest.param(None, id="default"),
    ],
)
async def test_cursor_from_another_ordering_is_refused(gql: GraphQL, workspace, other_order):
    # given
    await add_customers(workspace, "A", "B", "C")
    by_name = await page(gql, workspace.token, first=1, orderBy=BY_NAME)

    # when
    result = await gql.execute(
        PAGE,
        {"first": 1, "after": by_name["pageInfo"]["endCursor"], "orderBy": other_order},
        workspace.token,
    )

    # then
    assert result.data is None
    assert result.errors[0]["extensions"]["code"] == "BAD_CURSOR"


async def test_a_nested_connections_cursor_is_refused_at_the_root(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, contacts=[{"name": "王伟"}]))["id"]
    nested = (await gql.execute(CONTACT_CURSOR, {"id": customer_id}, workspace.token)).ok()
    contact_cursor = nested["customer"]["contacts"]["pageInfo"]["endCursor"]

    # when
    result = await gql.execute(PAGE, {"first": 1, "after": contact_cursor}, workspace.token)

    # then
    assert result.data is None
    assert result.errors[0]["extensions"]["code"] == "BAD_CURSOR"


async def test_a_page_is_one_statement_and_total_count_one_more(gql: GraphQL, workspace):
    # given: a search over contacts and a nullable ordering, the most complex page there is
    await create_customer(gql, workspace, name="王一", contacts=[{"name": "王伟"}])
    await create_customer(gql, workspace, name="李四", contacts=[{"name": "王芳"}])
    variables = {"filter": {"search": "王"}, "orderBy": {"field": "SCORE", "direction": "DESC"}}

    # when
    with count_queries() as lean:
        lean_result = await gql.execute(LEAN_PAGE, variables, workspace.token)
    with count_queries() as counted:
        counted_result = await gql.execute(COUNTED_PAGE, variables, workspace.token)

    # then: the session's user, the page (and the COUNT)
    assert len(lean_result.ok()["customers"]["edges"]) == 2
    assert counted_result.ok()["customers"]["totalCount"] == 2
    assert len(lean) == 2, lean
    assert len(counted) == 3, counted
