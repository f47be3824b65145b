"""opportunities(orderBy: …): every field both ways, nulls last, ties by id, keyset pages."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from api.core.ids import to_global_id
from models import Opportunity
from tests.documents import document
from tests.factories import create_customer, create_opportunity, default_pipeline, pk, workspace_pk
from tests.helpers import Account, GraphQL

PAGE = """
query Page(
  $first: Int, $after: String, $last: Int, $before: String,
  $orderBy: OpportunityOrder, $filter: OpportunityFilter
) {
  opportunities(
    first: $first, after: $after, last: $last, before: $before,
    orderBy: $orderBy, filter: $filter
  ) {
    totalCount
    edges { cursor node { id name amount expectedCloseDate } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
STAGE_CHECKLIST = """
query($id: ID!) { node(id: $id) { ... on Stage { checklist { id } } } }
"""

BASE = datetime(2030, 1, 1, tzinfo=UTC)
# Each field's values by rank; ranks 0 and 1 of the instants differ by one microsecond.
VALUES: dict[str, dict[int, Any]] = {
    "AMOUNT": {
        0: Decimal("0.00"),
        1: Decimal("0.01"),
        2: Decimal("999.99"),
        3: Decimal("1000.00"),
        4: Decimal("123456789.50"),
    },
    "EXPECTED_CLOSE_DATE": {
        0: date(2030, 1, 1),
        1: date(2030, 1, 2),
        2: date(2030, 6, 30),
        3: date(2031, 1, 1),
        4: date(2040, 12, 31),
    },
    **{
        field: {
            0: BASE,
            1: BASE + timedelta(microseconds=1),
            2: BASE + timedelta(seconds=1),
            3: BASE + timedelta(seconds=1, microseconds=500_000),
            4: BASE + timedelta(days=1),
        }
        for field in ("CREATED_AT", "UPDATED_AT")
    },
}
COLUMNS = {
    "AMOUNT": "amount",
    "EXPECTED_CLOSE_DATE": "expected_close_date",
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
}
NULLABLE = {"EXPECTED_CLOSE_DATE"}
# Ties (twice rank 2) and, where the column allows them, nulls between the values.
RANKS = {True: [2, 1, None, 2, None, 3, 0], False: [2, 1, 4, 2, 0, 3, 4]}
CASES = [
    pytest.param(field, direction, id=f"{field}-{direction}")
    for field in VALUES
    for direction in ("ASC", "DESC")
]


async def populate(gql: GraphQL, account: Account, field: str) -> list[tuple[Any, int, str]]:
    """Deals whose `field` takes the ranked values; returns (value, pk, global id) each.

    Written straight to the table: what is under test here is reading them back.
    """
    workspace_id = await workspace_pk(account)
    customer = pk((await create_customer(gql, account))["id"])
    pipeline = await default_pipeline(gql, account)
    stage = pk(pipeline["stages"][0]["id"])
    rows = []
    async with in_transaction():
        for index, rank in enumerate(RANKS[field in NULLABLE]):
            value = None if rank is None else VALUES[field][rank]
            deal = await Opportunity.create(
                workspace_id=workspace_id,
                customer_id=customer,
                pipeline_id=pk(pipeline["id"]),
                stage_id=stage,
                name=f"Deal {index} rank {rank}",
                currency="CNY",
            )
            # After the insert: auto_now would overwrite an updated_at given to create().
            await Opportunity.filter(id=deal.id).update(**{COLUMNS[field]: value})
            rows.append((value, deal.id, to_global_id("Opportunity", deal.id)))
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
    return (await gql.execute(PAGE, arguments, token)).ok()["opportunities"]


def ids(connection: dict) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def names(connection: dict) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def _first_item(gql: GraphQL, account: Account, stage_id: str) -> str:
    stage = (await gql.execute(STAGE_CHECKLIST, {"id": stage_id}, account.token)).ok()["node"]
    return stage["checklist"][0]["id"]


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
async def test_pages_forward_walk_each_row_once(
    gql: GraphQL, workspace, field: str, direction: str
):
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
    assert len(set(walked)) == len(rows)
    assert pages == 4


@pytest.mark.parametrize(("field", "direction"), CASES)
async def test_pages_backward_walk_each_row_once(
    gql: GraphQL, workspace, field: str, direction: str
):
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


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_deals_without_an_expected_close_date_come_last(gql: GraphQL, workspace, direction):
    # given
    customer = await create_customer(gql, workspace)
    await create_opportunity(gql, workspace, customer["id"], name="未定一")
    await create_opportunity(
        gql, workspace, customer["id"], name="三月", expectedCloseDate="2031-03-15"
    )
    await create_opportunity(gql, workspace, customer["id"], name="未定二")
    await create_opportunity(
        gql, workspace, customer["id"], name="一月", expectedCloseDate="2031-01-15"
    )

    # when
    connection = await page(
        gql,
        workspace.token,
        first=10,
        orderBy={"field": "EXPECTED_CLOSE_DATE", "direction": direction},
    )

    # then: undated ones by id, in the direction asked
    dated = ["一月", "三月"] if direction == "ASC" else ["三月", "一月"]
    undated = ["未定一", "未定二"] if direction == "ASC" else ["未定二", "未定一"]
    assert names(connection) == dated + undated


async def test_order_by_amount_within_a_filter(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    lost = (await default_pipeline(gql, workspace))["by_name"]["Lost"]
    for name, amount in (("小单", "100"), ("大单", "90000"), ("中单", "5000.5")):
        await create_opportunity(gql, workspace, customer["id"], name=name, amount=amount)
    await create_opportunity(
        gql, workspace, customer["id"], name="丢了的大单", amount="99999", stageId=lost["id"]
    )

    # when
    connection = await page(
        gql,
        workspace.token,
        first=10,
        filter={"status": "OPEN"},
        orderBy={"field": "AMOUNT", "direction": "DESC"},
    )

    # then
    assert names(connection) == ["大单", "中单", "小单"]
    assert [e["node"]["amount"] for e in connection["edges"]] == ["90000.00", "5000.50", "100.00"]
    assert connection["totalCount"] == 3


async def test_a_move_or_a_tick_makes_a_deal_the_most_recently_updated(gql: GraphQL, workspace):
    # given: three deals at Quote, the first created first
    customer = await create_customer(gql, workspace)
    stages = (await default_pipeline(gql, workspace))["by_name"]
    deals = [
        await create_opportunity(
            gql, workspace, customer["id"], name=name, stageId=stages["Quote"]["id"]
        )
        for name in ("甲", "乙", "丙")
    ]
    order_by = {"field": "UPDATED_AT", "direction": "DESC"}
    assert names(await page(gql, workspace.token, first=10, orderBy=order_by)) == ["丙", "乙", "甲"]

    # when
    moved = await gql.execute(
        document("moveOpportunity"),
        {"id": deals[0]["id"], "stageId": stages["Qualification"]["id"]},
        workspace.token,
    )
    after_move = names(await page(gql, workspace.token, first=10, orderBy=order_by))
    item = stages["Quote"]
    ticked = await gql.execute(
        document("setChecklistItem"),
        {
            "opportunityId": deals[1]["id"],
            "itemId": await _first_item(gql, workspace, item["id"]),
            "done": True,
        },
        workspace.token,
    )
    after_tick = names(await page(gql, workspace.token, first=10, orderBy=order_by))

    # then
    assert moved.ok()["moveOpportunity"]["errors"] == []
    assert ticked.ok()["setChecklistItem"]["errors"] == []
    assert after_move == ["甲", "丙", "乙"]
    assert after_tick == ["乙", "甲", "丙"]
