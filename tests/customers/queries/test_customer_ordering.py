"""customers(orderBy: …): every field both ways, nulls last, ties broken by id, keyset pages."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from models import Customer
from tests.factories import create_customer, force_customer_columns, gid, workspace_pk
from tests.helpers import GraphQL

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
SEARCH_PAGE = """
query SearchPage($after: String, $orderBy: CustomerOrder, $filter: CustomerFilter) {
  customers(first: 1, after: $after, orderBy: $orderBy, filter: $filter) {
    totalCount
    edges { node { id } }
    pageInfo { endCursor }
  }
}
"""
UPDATE_CUSTOMER = """
mutation Touch($id: ID!) { updateCustomer(id: $id, input: {industry: "制造"}) { errors { field } } }
"""

BASE = datetime(2030, 1, 1, tzinfo=UTC)
# Each field's values by rank; ranks 0 and 1 of the instants differ by one microsecond.
VALUES: dict[str, dict[int, Any]] = {
    "SCORE": {0: 0.0, 1: 0.5, 2: 42.0, 3: 99.9, 4: 100.0},
    "NAME": {0: "Alpha", 1: "Bravo", 2: "Charlie", 3: "Delta", 4: "Echo"},
    **{
        field: {
            0: BASE,
            1: BASE + timedelta(microseconds=1),
            2: BASE + timedelta(seconds=1),
            3: BASE + timedelta(seconds=1, microseconds=500_000),
            4: BASE + timedelta(days=1),
        }
        for field in ("CREATED_AT", "UPDATED_AT", "LAST_ACTIVITY_AT", "NEXT_FOLLOW_UP_AT")
    },
}
COLUMNS = {
    "SCORE": "score",
    "NAME": "name",
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
    "LAST_ACTIVITY_AT": "last_activity_at",
    "NEXT_FOLLOW_UP_AT": "next_follow_up_at",
}
NULLABLE = {"SCORE", "LAST_ACTIVITY_AT", "NEXT_FOLLOW_UP_AT"}
# Ties (twice rank 2) and, where the column allows them, nulls between the values.
RANKS = {True: [2, 1, None, 2, None, 3, 0], False: [2, 1, 4, 2, 0, 3, 4]}
CASES = [
    pytest.param(field, direction, id=f"{field}-{direction}")
    for field in VALUES
    for direction in ("ASC", "DESC")
]


async def populate(gql: GraphQL, account, field: str) -> list[tuple[Any, int, str]]:
    """Customers whose `field` takes the ranked values; returns (value, pk, global id) each.

    Written straight to the table: what is under test here is reading them back.
    """
    workspace_id = await workspace_pk(account)
    rows = []
    async with in_transaction():
        for rank in RANKS[field in NULLABLE]:
            value = None if rank is None else VALUES[field][rank]
            customer = await Customer.create(workspace_id=workspace_id, name=f"Customer {rank}")
            # After the insert: auto_now would overwrite an updated_at given to create().
            await Customer.filter(id=customer.id).update(**{COLUMNS[field]: value})
            rows.append((value, customer.id, gid("Customer", customer.id)))
    return rows


def expected_order(rows: list[tuple[Any, int, str]], direction: str) -> list[str]:
    """Values in the direction asked, ties by id in that direction, then nulls by id likewise."""
    descending = direction == "DESC"
    valued = sorted((r for r in rows if r[0] is not None), key=lambda r: (r[0], r[1]))
    nulls = sorted((r for r in rows if r[0] is None), key=lambda r: r[1])
    if descending:
        valued.reverse()
        nulls.reverse()
    return [r[2] for r in valued + nulls]


async def page(gql: GraphQL, token: str, **arguments: Any) -> dict:
    return (await gql.execute(PAGE, arguments, token)).ok()["customers"]


def ids(connection: dict) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


@pytest.mark.parametrize(("field", "direction"), CASES)
async def test_order_by_each_field(gql: GraphQL, workspace, field: str, direction: str):
    # given
    rows = await populate(gql, workspace, field)

    # when
    connection = await page(
        gql, workspace.token, first=50, orderBy={"field": field, "direction": direction}
    )

    # then
    assert ids(connection) == expected_order(rows, direction)
    assert connection["totalCount"] == len(rows)


@pytest.mark.parametrize(("field", "direction"), CASES)
async def test_pages_forward_keep_the_order(gql: GraphQL, workspace, field: str, direction: str):
    # given
    rows = await populate(gql, workspace, field)
    order_by = {"field": field, "direction": direction}

    # when
    walked, after, pages = [], None, 0
    while True:
        connection = await page(gql, workspace.token, first=2, after=after, orderBy=order_by)
        walked += ids(connection)
        pages += 1
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
        assert pages < 10, "paging does not end"

    # then
    assert walked == expected_order(rows, direction)
    assert pages == 4


@pytest.mark.parametrize(("field", "direction"), CASES)
async def test_pages_backward_keep_the_order(gql: GraphQL, workspace, field: str, direction: str):
    # given
    rows = await populate(gql, workspace, field)
    order_by = {"field": field, "direction": direction}

    # when
    walked, before, pages = [], None, 0
    while True:
        connection = await page(gql, workspace.token, last=2, before=before, orderBy=order_by)
        walked = ids(connection) + walked
        pages += 1
        info = connection["pageInfo"]
        assert info["hasNextPage"] is (before is not None)
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
        assert pages < 10, "paging does not end"

    # then
    assert walked == expected_order(rows, direction)
    assert pages == 4


async def test_default_order_is_most_recently_updated_first(gql: GraphQL, workspace):
    # given
    first = (await create_customer(gql, workspace, name="First"))["id"]
    second = (await create_customer(gql, workspace, name="Second"))["id"]
    third = (await create_customer(gql, workspace, name="Third"))["id"]

    # when
    touched = await gql.execute(UPDATE_CUSTOMER, {"id": first}, workspace.token)
    assert touched.ok()["updateCustomer"]["errors"] == []

    # then
    assert ids(await page(gql, workspace.token, first=10)) == [first, third, second]


async def test_nulls_come_last_even_with_a_single_row_each(gql: GraphQL, workspace):
    # given
    unscored = (await create_customer(gql, workspace, name="Unscored"))["id"]
    scored = (await create_customer(gql, workspace, name="Scored"))["id"]
    await force_customer_columns(scored, score=1.0)

    for direction in ("ASC", "DESC"):
        # when
        connection = await page(
            gql, workspace.token, first=10, orderBy={"field": "SCORE", "direction": direction}
        )

        # then
        assert ids(connection) == [scored, unscored]


async def test_ordering_and_paging_apply_within_a_search(gql: GraphQL, workspace):
    # given: matches by name and by contact, scored and unscored, and one that does not match
    workspace_id = await workspace_pk(workspace)
    rows = [
        ("王一", None, 50.0),
        ("其他", "王二", 70.0),
        ("王三", None, None),
        ("李四", None, 90.0),
    ]
    ids_by_name = {}
    for name, contact, score in rows:
        contacts = [{"name": contact}] if contact else []
        customer_id = (await create_customer(gql, workspace, name=name, contacts=contacts))["id"]
        await force_customer_columns(customer_id, score=score)
        ids_by_name[name] = customer_id
    assert await Customer.filter(workspace_id=workspace_id).count() == 4
    order_by = {"field": "SCORE", "direction": "DESC"}
    flt = {"search": "王"}

    # when
    walked, after = [], None
    for _ in range(3):
        result = await gql.execute(
            SEARCH_PAGE, {"after": after, "orderBy": order_by, "filter": flt}, workspace.token
        )
        connection = result.ok()["customers"]
        assert connection["totalCount"] == 3
        walked += ids(connection)
        after = connection["pageInfo"]["endCursor"]

    # then
    assert walked == [ids_by_name["其他"], ids_by_name["王一"], ids_by_name["王三"]]
