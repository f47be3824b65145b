"""A score's breakdown lists one entry per component: the query cost counts that many."""

from __future__ import annotations

from domain.scoring.rules import COMPONENTS
from models import Customer
from tests.factories import create_customer, pk
from tests.helpers import Account, GraphQL

BREAKDOWN = """
query($id: ID!) { node(id: $id) { ... on Customer { scoreBreakdown { key points } } } }
"""


async def test_no_more_entries_are_read_than_a_score_has_components(
    gql: GraphQL, workspace: Account
):
    # given: a breakdown written by hand, longer than any score's
    customer = await create_customer(gql, workspace)
    entries = [{"key": f"k{n}", "label": "L", "points": n, "reason": "R"} for n in range(9)]
    await Customer.filter(id=pk(customer["id"])).update(score_breakdown=entries)

    # when
    read = (await gql.execute(BREAKDOWN, {"id": customer["id"]}, workspace.token)).ok()

    # then
    keys = [entry["key"] for entry in read["node"]["scoreBreakdown"]]
    assert keys == [f"k{n}" for n in range(len(COMPONENTS))]
