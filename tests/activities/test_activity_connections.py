"""customer.activities, contact.activities and opportunity.activities: newest first, paged."""

from datetime import UTC, datetime, timedelta

from tests.factories import create_customer, create_opportunity, iso, log_activity
from tests.helpers import GraphQL

CUSTOMER_ACTIVITIES = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    activities(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node { id content } }
    }
  }
}
"""
CONTACT_ACTIVITIES = """
query($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on Contact {
      activities(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { node { id content } }
      }
    }
  }
}
"""
OPPORTUNITY_ACTIVITIES = """
query($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on Opportunity {
      activities(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { node { id content } }
      }
    }
  }
}
"""

START = datetime(2031, 5, 1, 1, 0, tzinfo=UTC)


def _contents(connection: dict) -> list[str]:
    return [edge["node"]["content"] for edge in connection["edges"]]


async def test_customer_activities_are_newest_first_by_occurred_at(gql: GraphQL, workspace):
    # given: logged out of order
    customer = await create_customer(gql, workspace)
    for day in (2, 0, 3, 1):
        await log_activity(
            gql,
            workspace,
            customer["id"],
            content=f"day {day}",
            occurredAt=iso(START + timedelta(days=day)),
        )

    # when
    result = await gql.execute(CUSTOMER_ACTIVITIES, {"id": customer["id"]}, workspace.token)

    # then
    activities = result.ok()["customer"]["activities"]
    assert _contents(activities) == ["day 3", "day 2", "day 1", "day 0"]
    assert activities["totalCount"] == 4
    assert activities["pageInfo"]["hasNextPage"] is False


async def test_customer_activities_page_with_cursors(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    for day in range(5):
        await log_activity(
            gql,
            workspace,
            customer["id"],
            content=f"day {day}",
            occurredAt=iso(START + timedelta(days=day)),
        )

    # when
    first = (
        await gql.execute(CUSTOMER_ACTIVITIES, {"id": customer["id"], "first": 2}, workspace.token)
    ).ok()["customer"]["activities"]
    second = (
        await gql.execute(
            CUSTOMER_ACTIVITIES,
            {"id": customer["id"], "first": 2, "after": first["pageInfo"]["endCursor"]},
            workspace.token,
        )
    ).ok()["customer"]["activities"]
    last = (
        await gql.execute(
            CUSTOMER_ACTIVITIES,
            {"id": customer["id"], "first": 2, "after": second["pageInfo"]["endCursor"]},
            workspace.token,
        )
    ).ok()["customer"]["activities"]

    # then
    assert _contents(first) == ["day 4", "day 3"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert _contents(second) == ["day 2", "day 1"]
    assert second["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert _contents(last) == ["day 0"]
    assert last["pageInfo"]["hasNextPage"] is False
    assert first["totalCount"] == second["totalCount"] == last["totalCount"] == 5


async def test_activities_at_the_same_instant_are_newest_logged_first(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    for label in ("first", "second", "third"):
        await log_activity(gql, workspace, customer["id"], content=label, occurredAt=iso(START))

    # when
    result = await gql.execute(CUSTOMER_ACTIVITIES, {"id": customer["id"]}, workspace.token)

    # then
    assert _contents(result.ok()["customer"]["activities"]) == ["third", "second", "first"]


async def test_contact_activities_are_only_the_contacts_newest_first(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace, contacts=[{"name": "王伟"}, {"name": "李娜"}])
    wang, li = (edge["node"]["id"] for edge in customer["contacts"]["edges"])
    await log_activity(
        gql, workspace, customer["id"], contactId=wang, content="王 1", occurredAt=iso(START)
    )
    await log_activity(
        gql, workspace, customer["id"], contactId=li, content="李 1", occurredAt=iso(START)
    )
    await log_activity(
        gql,
        workspace,
        customer["id"],
        contactId=wang,
        content="王 2",
        occurredAt=iso(START + timedelta(hours=1)),
    )
    await log_activity(gql, workspace, customer["id"], content="无联系人", occurredAt=iso(START))

    # when
    page = (await gql.execute(CONTACT_ACTIVITIES, {"id": wang, "first": 1}, workspace.token)).ok()
    rest = (
        await gql.execute(
            CONTACT_ACTIVITIES,
            {"id": wang, "first": 1, "after": page["node"]["activities"]["pageInfo"]["endCursor"]},
            workspace.token,
        )
    ).ok()

    # then
    assert _contents(page["node"]["activities"]) == ["王 2"]
    assert page["node"]["activities"]["totalCount"] == 2
    assert page["node"]["activities"]["pageInfo"]["hasNextPage"] is True
    assert _contents(rest["node"]["activities"]) == ["王 1"]
    assert rest["node"]["activities"]["pageInfo"]["hasNextPage"] is False


async def test_opportunity_activities_are_only_the_deals_newest_first(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"], amount="1000")
    other = await create_opportunity(gql, workspace, customer["id"], amount="2000")
    await log_activity(
        gql,
        workspace,
        customer["id"],
        opportunityId=deal["id"],
        content="报价",
        occurredAt=iso(START),
    )
    await log_activity(
        gql,
        workspace,
        customer["id"],
        opportunityId=other["id"],
        content="别的",
        occurredAt=iso(START),
    )
    await log_activity(
        gql,
        workspace,
        customer["id"],
        opportunityId=deal["id"],
        content="签约",
        occurredAt=iso(START + timedelta(days=2)),
    )

    # when
    result = await gql.execute(OPPORTUNITY_ACTIVITIES, {"id": deal["id"]}, workspace.token)

    # then
    activities = result.ok()["node"]["activities"]
    assert _contents(activities) == ["签约", "报价"]
    assert activities["totalCount"] == 2


async def test_sub_second_differences_order_correctly(gql: GraphQL, workspace):
    # given: whole seconds and fractions of a second, with and without an offset
    customer = await create_customer(gql, workspace)
    moments = {
        "10:00:00": "2031-05-01T10:00:00+00:00",
        "10:00:00.5": "2031-05-01T10:00:00.500000+00:00",
        "10:00:01": "2031-05-01T18:00:01+08:00",
        "09:59:59.999": "2031-05-01T09:59:59.999000Z",
    }
    for label, moment in moments.items():
        await log_activity(gql, workspace, customer["id"], content=label, occurredAt=moment)

    # when
    result = await gql.execute(CUSTOMER_ACTIVITIES, {"id": customer["id"]}, workspace.token)

    # then
    assert _contents(result.ok()["customer"]["activities"]) == [
        "10:00:01",
        "10:00:00.5",
        "10:00:00",
        "09:59:59.999",
    ]
