"""A customer's contacts, activities and opportunities: positional pages with a totalCount."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import create_contact, create_customer, create_opportunity, log_activity
from tests.helpers import GraphQL

CONTACTS = """
query Contacts($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    contacts(first: $first, after: $after) {
      totalCount
      edges { cursor node { id name isPrimary } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""
LIST_WITH_COUNTS = """
query Counts {
  customers(first: 10, orderBy: {field: NAME, direction: ASC}) {
    edges { node {
      name
      contacts(first: 1) { totalCount edges { node { name } } pageInfo { hasNextPage } }
      activities(first: 1) { totalCount edges { node { content } } }
      opportunities { totalCount }
    } }
  }
}
"""
ACTIVITIES = """
query Activities($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    activities(first: $first, after: $after) {
      totalCount
      edges { node { content } }
      pageInfo { hasNextPage hasPreviousPage }
    }
  }
}
"""
ROOT_CURSOR = """
query RootCursor { customers(first: 1) { pageInfo { endCursor } } }
"""


async def contacts_page(gql: GraphQL, token: str, customer_id: str, **arguments) -> dict:
    variables = {"id": customer_id, **arguments}
    return (await gql.execute(CONTACTS, variables, token)).ok()["customer"]["contacts"]


def offset_cursor(position: int) -> str:
    """A positional cursor of the shape nested connections give out, at any position."""
    return base64.urlsafe_b64encode(json.dumps(["#", position]).encode()).decode()


def names(connection: dict) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def test_contacts_page_one_at_a_time(gql: GraphQL, workspace):
    # given
    customer_id = (
        await create_customer(
            gql, workspace, contacts=[{"name": "王伟"}, {"name": "李娜"}, {"name": "张强"}]
        )
    )["id"]

    # when
    pages, after = [], None
    for _ in range(3):
        connection = await contacts_page(gql, workspace.token, customer_id, first=1, after=after)
        pages.append(connection)
        after = connection["pageInfo"]["endCursor"]

    # then
    assert [names(p) for p in pages] == [["王伟"], ["李娜"], ["张强"]]
    assert [(p["pageInfo"]["hasPreviousPage"], p["pageInfo"]["hasNextPage"]) for p in pages] == [
        (False, True),
        (True, True),
        (True, False),
    ]
    assert {p["totalCount"] for p in pages} == {3}
    for p in pages:
        assert p["pageInfo"]["startCursor"] == p["edges"][0]["cursor"]
        assert p["pageInfo"]["endCursor"] == p["edges"][-1]["cursor"]


async def test_contacts_list_the_primary_first_then_in_creation_order(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, contacts=[{"name": "王伟"}]))["id"]
    await create_contact(gql, workspace, customer_id, name="李娜")
    await create_contact(gql, workspace, customer_id, name="张强", isPrimary=True)
    await create_contact(gql, workspace, customer_id, name="赵敏")

    # when
    connection = await contacts_page(gql, workspace.token, customer_id)

    # then
    assert names(connection) == ["张强", "王伟", "李娜", "赵敏"]
    assert [edge["node"]["isPrimary"] for edge in connection["edges"]] == [
        True,
        False,
        False,
        False,
    ]


async def test_contacts_after_the_last_one_is_an_empty_page_with_the_total(gql: GraphQL, workspace):
    # given
    customer_id = (
        await create_customer(gql, workspace, contacts=[{"name": "王伟"}, {"name": "李娜"}])
    )["id"]
    everything = await contacts_page(gql, workspace.token, customer_id, first=2)

    # when
    beyond = await contacts_page(
        gql, workspace.token, customer_id, first=2, after=everything["pageInfo"]["endCursor"]
    )

    # then
    assert beyond["edges"] == []
    assert beyond["totalCount"] == 2
    assert beyond["pageInfo"]["hasNextPage"] is False
    assert beyond["pageInfo"]["hasPreviousPage"] is True


async def test_customer_without_contacts_has_an_empty_connection(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]

    # when
    connection = await contacts_page(gql, workspace.token, customer_id, first=5)

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


async def test_nested_total_counts_are_per_customer_in_a_list(gql: GraphQL, workspace):
    # given
    a = (
        await create_customer(
            gql, workspace, name="A", contacts=[{"name": "a1"}, {"name": "a2"}, {"name": "a3"}]
        )
    )["id"]
    b = (await create_customer(gql, workspace, name="B", contacts=[{"name": "b1"}]))["id"]
    await create_customer(gql, workspace, name="C")
    for _ in range(2):
        await log_activity(gql, workspace, a)
    await log_activity(gql, workspace, b, content="最新")
    await create_opportunity(gql, workspace, b)

    # when
    result = await gql.execute(LIST_WITH_COUNTS, token=workspace.token)

    # then
    rows = {e["node"]["name"]: e["node"] for e in result.ok()["customers"]["edges"]}
    assert {n: r["contacts"]["totalCount"] for n, r in rows.items()} == {"A": 3, "B": 1, "C": 0}
    assert {n: names(r["contacts"]) for n, r in rows.items()} == {"A": ["a1"], "B": ["b1"], "C": []}
    assert {n: r["contacts"]["pageInfo"]["hasNextPage"] for n, r in rows.items()} == {
        "A": True,
        "B": False,
        "C": False,
    }
    assert {n: r["activities"]["totalCount"] for n, r in rows.items()} == {"A": 2, "B": 1, "C": 0}
    assert rows["B"]["activities"]["edges"] == [{"node": {"content": "最新"}}]
    assert {n: r["opportunities"]["totalCount"] for n, r in rows.items()} == {
        "A": 0,
        "B": 1,
        "C": 0,
    }


async def test_activities_page_newest_first(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    start = datetime.now(UTC) - timedelta(days=10)
    for day, content in ((1, "第一次"), (3, "第三次"), (2, "第二次")):
        await log_activity(
            gql,
            workspace,
            customer_id,
            content=content,
            occurredAt=(start + timedelta(days=day)).isoformat(),
        )

    # when
    first = (await gql.execute(ACTIVITIES, {"id": customer_id, "first": 2}, workspace.token)).ok()
    connection = first["customer"]["activities"]

    # then
    assert [edge["node"]["content"] for edge in connection["edges"]] == ["第三次", "第二次"]
    assert connection["totalCount"] == 3
    assert connection["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}


async def test_nested_first_101_is_refused(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, contacts=[{"name": "王伟"}]))["id"]

    # when
    result = await gql.execute(CONTACTS, {"id": customer_id, "first": 101}, workspace.token)

    # then
    assert result.data == {"customer": None}
    assert [error["extensions"]["code"] for error in result.errors] == ["BAD_PAGINATION"]


@pytest.mark.parametrize(
    "kind", ["garbage", "root-keyset-cursor", "negative-position", "position-out-of-range"]
)
async def test_nested_bad_cursors_are_refused(gql: GraphQL, workspace, kind: str):
    # given
    customer_id = (await create_customer(gql, workspace, contacts=[{"name": "王伟"}]))["id"]
    root = (await gql.execute(ROOT_CURSOR, token=workspace.token)).ok()
    bad_cursor = {
        "garbage": "garbage",
        "root-keyset-cursor": root["customers"]["pageInfo"]["endCursor"],
        "negative-position": offset_cursor(-1),
        "position-out-of-range": offset_cursor(10**30),
    }[kind]

    # when
    result = await gql.execute(
        CONTACTS, {"id": customer_id, "first": 1, "after": bad_cursor}, workspace.token
    )

    # then
    assert result.data == {"customer": None}
    assert [error["extensions"]["code"] for error in result.errors] == ["BAD_CURSOR"]
