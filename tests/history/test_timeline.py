"""A customer's timeline merges its activities, its deals' stage changes and the field
changes of it, its contacts and its deals, newest first, paged; a page of customers with
their history and timeline costs the same number of statements however many there are."""

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories import (
    create_contact,
    create_customer,
    create_opportunity,
    default_pipeline,
    log_activity,
    move_ok,
    mutate_ok,
)
from tests.helpers import Account, GraphQL, count_queries

TIMELINE = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    timeline(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { node {
        __typename
        ... on Activity { content occurredAt }
        ... on StageChange { changedAt to { name } opportunity { name } }
        ... on FieldChange { entity field newValue changedAt }
      } }
    }
  }
}
"""


def label(node: dict[str, Any]) -> str:
    if node["__typename"] == "Activity":
        return f"activity {node['content']}"
    if node["__typename"] == "StageChange":
        return f"stage {node['opportunity']['name']} → {node['to']['name']}"
    return f"{node['entity'].lower()} {node['field']}"


def moment(node: dict[str, Any]) -> datetime:
    value = node.get("occurredAt") or node["changedAt"]
    return datetime.fromisoformat(value)


async def timeline(gql: GraphQL, account: Account, customer_id: str, **page: Any) -> dict:
    result = await gql.execute(TIMELINE, {"id": customer_id, **page}, account.token)
    return result.ok()["customer"]["timeline"]


async def test_the_timeline_merges_everything_newest_first_and_pages(gql: GraphQL, workspace):
    # given: in this order, a customer, a deal, a contact, an activity logged as of an hour
    # ago, a stage move and a rename
    pipeline = await default_pipeline(gql, workspace)
    lost = next(s for s in pipeline["stages"] if s["kind"] == "LOST")
    customer = await create_customer(gql, workspace, name="云帆科技")
    deal = await create_opportunity(gql, workspace, customer["id"], name="年度订阅")
    await create_contact(gql, workspace, customer["id"], name="王伟")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    await log_activity(
        gql, workspace, customer["id"], content="初次拜访", occurredAt=an_hour_ago.isoformat()
    )
    await move_ok(gql, workspace, deal["id"], lost["id"])
    await mutate_ok(gql, workspace, "updateCustomer", id=customer["id"], input={"name": "云帆"})

    # when: read whole, then in pages of 4
    whole = await timeline(gql, workspace, customer["id"], first=100)
    pages: list[dict] = []
    after = None
    while True:
        page = await timeline(gql, workspace, customer["id"], first=4, after=after)
        pages.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # then: newest first, the activity in its own past; the deal's stage told once, by
    # its stage changes (not again as its `stage` and `status` fields)
    nodes = [edge["node"] for edge in whole["edges"]]
    assert whole["totalCount"] == len(nodes)
    assert pages == nodes
    moments = [moment(node) for node in nodes]
    assert moments == sorted(moments, reverse=True)
    labels = [label(node) for node in nodes]
    assert labels[0] == "customer name"
    assert labels[1] == f"stage 年度订阅 → {lost['name']}"
    assert labels[-1] == "activity 初次拜访"
    assert labels.count(f"stage 年度订阅 → {deal['stage']['name']}") == 1
    assert "opportunity stage" not in labels and "opportunity status" not in labels
    assert {"contact name", "opportunity name", "customer owner"} <= set(labels)


NESTED = """
query($first: Int!) {
  customers(first: $first) {
    edges { node {
      name
      history(first: 5) { totalCount edges { node {
        field oldValue newValue source sourceId changedBy { name } apiKeyName changedAt
      } } }
      timeline(first: 5) { edges { node {
        __typename
        ... on Activity { content author { name } }
        ... on StageChange { to { name } opportunity { name } changedBy { name } }
        ... on FieldChange { field newValue changedBy { name } }
      } } }
      opportunities(first: 2) { edges { node {
        history(first: 5) { edges { node { field newValue changedBy { name } } } }
      } } }
    } }
  }
}
"""


async def _customers(gql: GraphQL, account: Account, count: int) -> None:
    for index in range(count):
        customer = await create_customer(gql, account, name=f"客户 {index}")
        await create_opportunity(gql, account, customer["id"])
        await log_activity(gql, account, customer["id"])
        await mutate_ok(
            gql, account, "updateCustomer", id=customer["id"], input={"industry": "制造"}
        )


async def nested_statements(gql: GraphQL, account: Account, count: int) -> int:
    with count_queries() as statements:
        result = await gql.execute(NESTED, {"first": count}, account.token)
    customers = result.ok()["customers"]["edges"]
    assert len(customers) == count
    for edge in customers:
        assert edge["node"]["history"]["edges"], edge
        assert len(edge["node"]["timeline"]["edges"]) == 5
    return len(statements)


async def test_history_and_timeline_of_a_page_cost_the_same_for_2_or_6_customers(
    gql: GraphQL,
):
    # given
    small, large = await gql.sign_up(), await gql.sign_up()
    await _customers(gql, small, 2)
    await _customers(gql, large, 6)

    # when / then
    assert await nested_statements(gql, small, 2) == await nested_statements(gql, large, 6)
