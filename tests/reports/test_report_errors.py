"""pipelineReport refuses what it cannot answer, and tells nothing of other workspaces."""

from __future__ import annotations

import pytest

from api.core.ids import to_global_id
from tests.factories import default_pipeline, pk
from tests.helpers import Account, GraphQL
from tests.reports.support import WON, Book, history, utc

REPORT = """
query($pipelineId: ID, $currency: String) {
  pipelineReport(pipelineId: $pipelineId, currency: $currency) { pipeline { id } wonCount }
}
"""


async def test_another_workspaces_pipeline_is_not_found(gql: GraphQL, workspace: Account):
    # given: another workspace with a won deal in its default pipeline
    other = await gql.sign_up()
    book = await Book.open(gql, other)
    deal = await book.deal("100.00")
    await history(deal, utc(2025, 1, 1), [(WON, utc(2025, 1, 2))])

    # when
    result = await gql.execute(REPORT, {"pipelineId": book.pipeline["id"]}, workspace.token)

    # then
    assert result.data is None
    assert [(e["message"], e["extensions"]["code"]) for e in result.errors] == [
        ("Pipeline not found.", "NOT_FOUND")
    ]


@pytest.mark.parametrize("kind", ["malformed", "stage", "unknown"])
async def test_an_id_that_is_no_pipeline_of_ours_is_not_found(
    gql: GraphQL, workspace: Account, kind: str
):
    # given
    pipeline = await default_pipeline(gql, workspace)
    pipeline_id = {
        "malformed": "not-an-id",
        "stage": pipeline["stages"][0]["id"],
        "unknown": to_global_id("Pipeline", pk(pipeline["id"]) + 10**9),
    }[kind]

    # when
    result = await gql.execute(REPORT, {"pipelineId": pipeline_id}, workspace.token)

    # then
    assert result.data is None
    assert [e["extensions"]["code"] for e in result.errors] == ["NOT_FOUND"]


async def test_a_currency_must_be_an_iso_code(gql: GraphQL, workspace: Account):
    # when
    result = await gql.execute(REPORT, {"currency": "dollars"}, workspace.token)

    # then
    assert result.data is None
    assert [e["extensions"]["code"] for e in result.errors] == ["INVALID"]


async def test_a_currency_without_deals_reports_zeros(gql: GraphQL, workspace: Account):
    # given
    book = await Book.open(gql, workspace)
    await book.deal("100.00")

    # when
    result = await gql.execute(REPORT, {"currency": "EUR"}, workspace.token)

    # then
    assert result.ok()["pipelineReport"] == {
        "pipeline": {"id": book.pipeline["id"]},
        "wonCount": 0,
    }


async def test_signing_in_comes_first(gql: GraphQL):
    # when
    result = await gql.execute(REPORT)

    # then
    assert result.data is None
    assert [e["extensions"]["code"] for e in result.errors] == ["UNAUTHENTICATED"]
