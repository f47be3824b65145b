"""Opportunity.daysInStage and isRotting: idle deals in stages with a rotting limit.

Time is set up by writing when a deal entered its stage straight to the table.
"""

from datetime import UTC, datetime, timedelta

import pytest

from models import Opportunity
from tests.documents import document
from tests.factories import (
    b2b_stages,
    create_customer,
    create_opportunity,
    create_pipeline,
    iso,
    log_activity,
    pk,
)
from tests.helpers import Account, GraphQL

OPPORTUNITY = """
query($id: ID!) {
  node(id: $id) { ... on Opportunity { status daysInStage isRotting stage { name } } }
}
"""


def _rotting_stages() -> list[dict]:
    """The B2B stages; 初步接触 and 需求确认 rot after 5 idle days, 赢单 and 输单 after 1."""
    stages = b2b_stages()
    for stage in stages:
        if stage["name"] in ("初步接触", "需求确认"):
            stage["rottingDays"] = 5
        if stage["name"] in ("赢单", "输单"):
            stage["rottingDays"] = 1
    return stages


async def _deal(gql: GraphQL, account: Account, stage: str, stages: list[dict] | None = None):
    pipeline = await create_pipeline(gql, account, stages=stages or _rotting_stages())
    customer = await create_customer(gql, account)
    deal = await create_opportunity(
        gql, account, customer["id"], stageId=pipeline["by_name"][stage]["id"]
    )
    return pipeline, customer, deal


async def _entered(deal_id: str, ago: timedelta) -> None:
    await Opportunity.filter(id=pk(deal_id)).update(stage_entered_at=datetime.now(UTC) - ago)


async def _read(gql: GraphQL, account: Account, deal_id: str) -> dict:
    return (await gql.execute(OPPORTUNITY, {"id": deal_id}, account.token)).ok()["node"]


@pytest.mark.parametrize(
    ("ago", "days"),
    [
        (timedelta(0), 0),
        (timedelta(hours=23, minutes=59), 0),
        (timedelta(days=1, minutes=1), 1),
        (timedelta(days=2, hours=23), 2),
        (timedelta(days=3, hours=1), 3),
        (timedelta(days=400), 400),
    ],
)
async def test_days_in_stage_counts_whole_days(gql: GraphQL, workspace, ago, days):
    # given
    _, _, deal = await _deal(gql, workspace, "报价")

    # when
    await _entered(deal["id"], ago)

    # then
    assert (await _read(gql, workspace, deal["id"]))["daysInStage"] == days


async def test_a_new_deal_is_not_rotting(gql: GraphQL, workspace):
    # given
    _, _, deal = await _deal(gql, workspace, "初步接触")

    # when
    read = await _read(gql, workspace, deal["id"])

    # then
    assert (read["daysInStage"], read["isRotting"]) == (0, False)


async def test_without_rotting_days_a_deal_never_rots(gql: GraphQL, workspace):
    # given: 报价 has no rotting limit
    _, _, deal = await _deal(gql, workspace, "报价")

    # when
    await _entered(deal["id"], timedelta(days=400))

    # then
    read = await _read(gql, workspace, deal["id"])
    assert (read["daysInStage"], read["isRotting"]) == (400, False)


@pytest.mark.parametrize(
    ("ago", "rotting"),
    [
        (timedelta(days=4, hours=23, minutes=59), False),
        (timedelta(days=5, minutes=1), True),
        (timedelta(days=30), True),
    ],
)
async def test_a_deal_rots_once_idle_for_the_rotting_days(gql: GraphQL, workspace, ago, rotting):
    # given: 初步接触 rots after 5 days
    _, _, deal = await _deal(gql, workspace, "初步接触")

    # when
    await _entered(deal["id"], ago)

    # then
    assert (await _read(gql, workspace, deal["id"]))["isRotting"] is rotting


async def test_an_activity_on_the_deal_freshens_it(gql: GraphQL, workspace):
    # given
    _, customer, deal = await _deal(gql, workspace, "初步接触")
    await _entered(deal["id"], timedelta(days=6, hours=1))
    assert (await _read(gql, workspace, deal["id"]))["isRotting"] is True

    # when
    await log_activity(gql, workspace, customer["id"], opportunityId=deal["id"], kind="MEETING")

    # then: still six days in the stage, but no longer idle
    read = await _read(gql, workspace, deal["id"])
    assert (read["daysInStage"], read["isRotting"]) == (6, False)


async def test_the_deal_rots_again_once_idle_after_the_activity(gql: GraphQL, workspace):
    # given: worked on 7 days ago, after 20 days in the stage
    _, customer, deal = await _deal(gql, workspace, "初步接触")
    await _entered(deal["id"], timedelta(days=20))
    seven_days_ago = datetime.now(UTC) - timedelta(days=7)

    # when
    await log_activity(
        gql, workspace, customer["id"], opportunityId=deal["id"], occurredAt=iso(seven_days_ago)
    )

    # then
    read = await _read(gql, workspace, deal["id"])
    assert (read["daysInStage"], read["isRotting"]) == (20, True)


async def test_a_recent_activity_logged_late_freshens_the_deal(gql: GraphQL, workspace):
    # given: after 20 days in the stage, a call two days ago is logged now
    _, customer, deal = await _deal(gql, workspace, "初步接触")
    await _entered(deal["id"], timedelta(days=20))
    two_days_ago = datetime.now(UTC) - timedelta(days=2)

    # when
    await log_activity(
        gql, workspace, customer["id"], opportunityId=deal["id"], occurredAt=iso(two_days_ago)
    )

    # then
    assert (await _read(gql, workspace, deal["id"]))["isRotting"] is False


async def test_an_older_activity_does_not_undo_a_newer_one(gql: GraphQL, workspace):
    # given: a meeting today, then a call from ten days ago is logged
    _, customer, deal = await _deal(gql, workspace, "初步接触")
    await _entered(deal["id"], timedelta(days=20))
    await log_activity(gql, workspace, customer["id"], opportunityId=deal["id"], kind="MEETING")

    # when
    await log_activity(
        gql,
        workspace,
        customer["id"],
        opportunityId=deal["id"],
        occurredAt=iso(datetime.now(UTC) - timedelta(days=10)),
    )

    # then
    assert (await _read(gql, workspace, deal["id"]))["isRotting"] is False


async def test_an_activity_not_on_the_deal_does_not_freshen_it(gql: GraphQL, workspace):
    # given: two deals of one customer, both idle
    pipeline, customer, deal = await _deal(gql, workspace, "初步接触")
    other = await create_opportunity(
        gql, workspace, customer["id"], stageId=pipeline["by_name"]["初步接触"]["id"]
    )
    for opportunity in (deal, other):
        await _entered(opportunity["id"], timedelta(days=9))

    # when: one activity for the customer alone, one on the other deal
    await log_activity(gql, workspace, customer["id"])
    await log_activity(gql, workspace, customer["id"], opportunityId=other["id"])

    # then
    assert (await _read(gql, workspace, deal["id"]))["isRotting"] is True
    assert (await _read(gql, workspace, other["id"]))["isRotting"] is False


async def test_a_move_freshens_the_deal(gql: GraphQL, workspace):
    # given: idle at 需求确认 (a move back is never held up by the checklist)
    pipeline, _, deal = await _deal(gql, workspace, "需求确认")
    await _entered(deal["id"], timedelta(days=8))
    assert (await _read(gql, workspace, deal["id"]))["isRotting"] is True

    # when
    result = await gql.execute(
        document("moveOpportunity"),
        {"id": deal["id"], "stageId": pipeline["by_name"]["初步接触"]["id"]},
        workspace.token,
    )

    # then
    assert result.ok()["moveOpportunity"]["errors"] == []
    read = await _read(gql, workspace, deal["id"])
    assert read["stage"]["name"] == "初步接触"
    assert (read["daysInStage"], read["isRotting"]) == (0, False)


@pytest.mark.parametrize("stage", ["赢单", "输单"])
async def test_won_and_lost_deals_never_rot(gql: GraphQL, workspace, stage):
    # given: closed stages with a 1-day limit
    _, _, deal = await _deal(gql, workspace, stage)

    # when
    await _entered(deal["id"], timedelta(days=30))

    # then
    read = await _read(gql, workspace, deal["id"])
    assert read["status"] in ("WON", "LOST")
    assert (read["daysInStage"], read["isRotting"]) == (30, False)


async def test_rotting_follows_the_stages_current_limit(gql: GraphQL, workspace):
    # given: idle 4 days at 报价, which has no limit
    pipeline, _, deal = await _deal(gql, workspace, "报价")
    quote = pipeline["by_name"]["报价"]["id"]
    await _entered(deal["id"], timedelta(days=4, hours=1))

    # when
    limited = await gql.execute(
        document("updateStage"), {"id": quote, "input": {"rottingDays": 3}}, workspace.token
    )
    rotting_at_3 = (await _read(gql, workspace, deal["id"]))["isRotting"]
    raised = await gql.execute(
        document("updateStage"), {"id": quote, "input": {"rottingDays": 10}}, workspace.token
    )
    rotting_at_10 = (await _read(gql, workspace, deal["id"]))["isRotting"]
    cleared = await gql.execute(
        document("updateStage"), {"id": quote, "input": {"rottingDays": None}}, workspace.token
    )
    rotting_without = (await _read(gql, workspace, deal["id"]))["isRotting"]

    # then
    for result in (limited, raised, cleared):
        assert result.ok()["updateStage"]["errors"] == []
    assert (rotting_at_3, rotting_at_10, rotting_without) == (True, False, False)
