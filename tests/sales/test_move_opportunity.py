"""moveOpportunity: forward moves wait for the current stage's required checklist; losing a
deal never does; WON and LOST stages close a deal, OPEN ones reopen it; every move is history."""

from datetime import UTC, datetime

import pytest

from tests.documents import document
from tests.factories import (
    create_customer,
    create_opportunity,
    create_pipeline,
    default_pipeline,
    instant,
    invite,
    move,
    tick_ok,
)
from tests.helpers import Account, GraphQL, problems

OPPORTUNITY = """
query($id: ID!) {
  node(id: $id) {
    ... on Opportunity {
      status closedAt lostReason updatedAt
      stage { id name }
      checklist { item { id title required } done doneAt doneBy { id } }
      stageHistory { from { id name } to { id name } changedBy { id } changedAt }
    }
  }
}
"""
REORDER_STAGES = """
mutation($pipelineId: ID!, $stageIds: [ID!]!) {
  reorderStages(pipelineId: $pipelineId, stageIds: $stageIds) { errors { field code } }
}
"""


async def _read(gql: GraphQL, account: Account, deal_id: str) -> dict:
    return (await gql.execute(OPPORTUNITY, {"id": deal_id}, account.token)).ok()["node"]


async def _deal_in(
    gql: GraphQL, account: Account, pipeline: dict, stage: str, for_: str | None = None, **fields
) -> dict:
    """A deal in `stage`, of a new customer of the account's (of `for_`'s, a user id)."""
    customer = await create_customer(gql, account, **({"ownerId": for_} if for_ else {}))
    return await create_opportunity(
        gql,
        account,
        customer["id"],
        pipelineId=pipeline["id"],
        stageId=pipeline["by_name"][stage]["id"],
        **fields,
    )


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- the checklist gate


async def test_a_forward_move_waits_for_the_required_items(gql: GraphQL, workspace):
    # given: the optional item is done, the required one is not
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "初步接触")
    await tick_ok(gql, workspace, deal["id"], pipeline["items"]["记录线索来源"]["id"])
    before = await _read(gql, workspace, deal["id"])

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["需求确认"]["id"])

    # then
    assert payload["opportunity"] is None
    assert problems(payload) == [("stageId", "CONFLICT")]
    message = payload["errors"][0]["message"]
    assert "初步接触" in message
    assert "确认决策人" in message
    assert "记录线索来源" not in message
    assert await _read(gql, workspace, deal["id"]) == before


async def test_the_refusal_names_every_missing_item(gql: GraphQL, workspace):
    # given: 需求确认 has two required items
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "需求确认")
    quote = pipeline["by_name"]["报价"]["id"]

    # when
    both = await move(gql, workspace, deal["id"], quote)
    await tick_ok(gql, workspace, deal["id"], pipeline["items"]["确认预算"]["id"])
    one = await move(gql, workspace, deal["id"], quote)

    # then
    assert problems(both) == problems(one) == [("stageId", "CONFLICT")]
    assert "确认预算" in both["errors"][0]["message"]
    assert "确认上线时间" in both["errors"][0]["message"]
    assert "确认预算" not in one["errors"][0]["message"]
    assert "确认上线时间" in one["errors"][0]["message"]


async def test_skipping_ahead_waits_for_the_current_stage_too(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "初步接触")

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["合同"]["id"])

    # then
    assert problems(payload) == [("stageId", "CONFLICT")]
    assert (await _read(gql, workspace, deal["id"]))["stage"]["name"] == "初步接触"


async def test_once_the_required_items_are_done_the_deal_moves_on(gql: GraphQL, workspace):
    # given: 1000 at 初步接触, its required item done
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "初步接触", amount="1000")
    await tick_ok(gql, workspace, deal["id"], pipeline["items"]["确认决策人"]["id"])
    needs = pipeline["by_name"]["需求确认"]

    # when
    payload = await move(gql, workspace, deal["id"], needs["id"])

    # then: 1000 × 30% = 300
    assert payload["errors"] == []
    moved = payload["opportunity"]
    assert moved["stage"] == {"id": needs["id"], "name": "需求确认"}
    assert (moved["status"], moved["closedAt"], moved["lostReason"]) == ("OPEN", None, None)
    assert (moved["probability"], moved["weightedAmount"]) == (30, "300.00")
    assert [(h["from"], h["to"]) for h in moved["stageHistory"]] == [
        (None, {"name": "初步接触"}),
        ({"name": "初步接触"}, {"name": "需求确认"}),
    ]
    assert (await _read(gql, workspace, deal["id"]))["stage"]["name"] == "需求确认"


async def test_a_stage_without_required_items_does_not_hold_up(gql: GraphQL, workspace):
    # given: the default pipeline's checklists are all optional
    pipeline = await default_pipeline(gql, workspace)
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"])

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["Quote"]["id"])

    # then
    assert payload["errors"] == []
    assert payload["opportunity"]["stage"]["name"] == "Quote"


async def test_moving_backwards_is_always_allowed(gql: GraphQL, workspace):
    # given: at 报价 with 发送报价单 not done
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "报价")

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["初步接触"]["id"])

    # then
    assert payload["errors"] == []
    assert payload["opportunity"]["stage"]["name"] == "初步接触"
    assert payload["opportunity"]["status"] == "OPEN"


async def test_forward_follows_the_current_order_of_the_stages(gql: GraphQL, workspace):
    # given: 需求确认 reordered before 初步接触, where the deal waits on 确认决策人
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "初步接触")
    ids = [s["id"] for s in pipeline["stages"]]
    reordered = await gql.execute(
        REORDER_STAGES,
        {"pipelineId": pipeline["id"], "stageIds": [ids[1], ids[0], *ids[2:]]},
        workspace.token,
    )
    assert reordered.ok()["reorderStages"]["errors"] == []

    # when: 需求确认 is now behind the deal
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["需求确认"]["id"])

    # then
    assert payload["errors"] == []
    assert payload["opportunity"]["stage"]["name"] == "需求确认"


# ---------------------------------------------------------------- closing and reopening


async def test_a_deal_can_always_be_lost(gql: GraphQL, workspace):
    # given: nothing of the checklist done
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "初步接触", amount="500")
    before = _now()

    # when
    payload = await move(
        gql, workspace, deal["id"], pipeline["by_name"]["输单"]["id"], lost_reason=" 价格太高 "
    )

    # then
    after = _now()
    assert payload["errors"] == []
    lost = payload["opportunity"]
    assert lost["stage"]["name"] == "输单"
    assert lost["status"] == "LOST"
    assert lost["lostReason"] == "价格太高"
    assert before <= instant(lost["closedAt"]) <= after
    assert (lost["probability"], lost["weightedAmount"]) == (0, "0.00")
    read = await _read(gql, workspace, deal["id"])
    assert (read["status"], read["lostReason"]) == ("LOST", "价格太高")
    assert read["checklist"] == []


async def test_a_deal_can_be_lost_without_a_reason(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "合同")

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["输单"]["id"])

    # then
    assert payload["errors"] == []
    assert payload["opportunity"]["status"] == "LOST"
    assert payload["opportunity"]["lostReason"] is None
    assert payload["opportunity"]["closedAt"] is not None


async def test_winning_waits_for_the_checklist_too(gql: GraphQL, workspace):
    # given: at 合同 with 合同盖章 not done
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "合同")

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["赢单"]["id"])

    # then
    assert problems(payload) == [("stageId", "CONFLICT")]
    assert "合同盖章" in payload["errors"][0]["message"]
    read = await _read(gql, workspace, deal["id"])
    assert (read["status"], read["closedAt"]) == ("OPEN", None)


async def test_moving_into_won_closes_the_deal(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "合同", amount="8000")
    await tick_ok(gql, workspace, deal["id"], pipeline["items"]["合同盖章"]["id"])
    before = _now()

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["赢单"]["id"])

    # then
    after = _now()
    assert payload["errors"] == []
    won = payload["opportunity"]
    assert (won["status"], won["stage"]["name"], won["lostReason"]) == ("WON", "赢单", None)
    assert before <= instant(won["closedAt"]) <= after
    assert (won["probability"], won["weightedAmount"]) == (100, "8000.00")


async def test_moving_a_won_deal_back_reopens_it(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "赢单")
    assert (await _read(gql, workspace, deal["id"]))["closedAt"] is not None

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["合同"]["id"])

    # then
    assert payload["errors"] == []
    reopened = payload["opportunity"]
    assert (reopened["status"], reopened["closedAt"], reopened["lostReason"]) == (
        "OPEN",
        None,
        None,
    )
    read = await _read(gql, workspace, deal["id"])
    assert (read["status"], read["closedAt"]) == ("OPEN", None)


async def test_moving_a_lost_deal_back_reopens_it_and_forgets_the_reason(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "报价")
    lost = await move(
        gql, workspace, deal["id"], pipeline["by_name"]["输单"]["id"], lost_reason="选了竞品"
    )
    assert lost["errors"] == []

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["报价"]["id"])

    # then
    assert payload["errors"] == []
    reopened = payload["opportunity"]
    assert (reopened["status"], reopened["closedAt"], reopened["lostReason"]) == (
        "OPEN",
        None,
        None,
    )
    read = await _read(gql, workspace, deal["id"])
    assert (read["status"], read["closedAt"], read["lostReason"]) == ("OPEN", None, None)


async def test_a_lost_deal_can_be_won_after_all(gql: GraphQL, workspace):
    # given: 输单 comes after 赢单, so this is a move backwards
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "合同")
    await move(gql, workspace, deal["id"], pipeline["by_name"]["输单"]["id"], lost_reason="预算")

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["赢单"]["id"])

    # then
    assert payload["errors"] == []
    won = payload["opportunity"]
    assert (won["status"], won["lostReason"]) == ("WON", None)
    assert won["closedAt"] is not None


# ---------------------------------------------------------------- history and no-ops


async def test_each_move_is_appended_to_the_history(gql: GraphQL, workspace):
    # given: the admin creates the deal for the rep's customer, the rep works it
    rep = await invite(gql, workspace, "REP")
    pipeline = await create_pipeline(gql, workspace)
    stages = pipeline["by_name"]
    deal = await _deal_in(gql, workspace, pipeline, "初步接触", rep.user_id)
    await tick_ok(gql, rep, deal["id"], pipeline["items"]["确认决策人"]["id"])
    start = _now()

    # when
    for account, stage, reason in [
        (rep, "需求确认", None),
        (workspace, "初步接触", None),
        (rep, "输单", "没有预算"),
    ]:
        payload = await move(gql, account, deal["id"], stages[stage]["id"], lost_reason=reason)
        assert payload["errors"] == [], payload["errors"]

    # then
    history = (await _read(gql, workspace, deal["id"]))["stageHistory"]
    assert [
        (h["from"] and h["from"]["name"], h["to"]["name"], h["changedBy"]["id"]) for h in history
    ] == [
        (None, "初步接触", workspace.user_id),
        ("初步接触", "需求确认", rep.user_id),
        ("需求确认", "初步接触", workspace.user_id),
        ("初步接触", "输单", rep.user_id),
    ]
    moments = [instant(h["changedAt"]) for h in history]
    assert moments == sorted(moments)
    assert all(start <= moment <= _now() for moment in moments[1:])
    assert history[2]["to"]["id"] == stages["初步接触"]["id"]


async def test_moving_to_the_current_stage_changes_nothing(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "报价")
    before = await _read(gql, workspace, deal["id"])

    # when
    payload = await move(gql, workspace, deal["id"], pipeline["by_name"]["报价"]["id"])

    # then
    assert payload["errors"] == []
    assert payload["opportunity"]["stage"]["name"] == "报价"
    assert len(payload["opportunity"]["stageHistory"]) == 1
    assert await _read(gql, workspace, deal["id"]) == before


# ---------------------------------------------------------------- what is refused


async def test_a_stage_outside_the_deals_pipeline_is_not_found(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "报价")
    other_pipeline = (await default_pipeline(gql, workspace))["by_name"]["Qualification"]
    stranger = await gql.sign_up()
    foreign = (await create_pipeline(gql, stranger))["by_name"]["初步接触"]
    before = await _read(gql, workspace, deal["id"])

    # when
    results = [
        await move(gql, workspace, deal["id"], stage_id)
        for stage_id in (other_pipeline["id"], foreign["id"], pipeline["id"], "not-an-id")
    ]

    # then
    for payload in results:
        assert payload["opportunity"] is None
        assert problems(payload) == [("stageId", "NOT_FOUND")]
    assert await _read(gql, workspace, deal["id"]) == before


async def test_a_removed_stage_is_not_found(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "报价")
    removed = pipeline["by_name"]["需求确认"]
    result = await gql.execute(document("removeStage"), {"id": removed["id"]}, workspace.token)
    assert result.ok()["removeStage"]["errors"] == []

    # when
    payload = await move(gql, workspace, deal["id"], removed["id"])

    # then
    assert problems(payload) == [("stageId", "NOT_FOUND")]


async def test_another_workspaces_deal_is_not_found(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    theirs_pipeline = await create_pipeline(gql, stranger)
    theirs = await _deal_in(gql, stranger, theirs_pipeline, "报价")
    before = await _read(gql, stranger, theirs["id"])

    # when
    payload = await move(gql, workspace, theirs["id"], theirs_pipeline["by_name"]["需求确认"]["id"])

    # then
    assert problems(payload) == [("id", "NOT_FOUND")]
    assert await _read(gql, stranger, theirs["id"]) == before


@pytest.mark.parametrize("target", ["需求确认", "赢单", "报价"])
async def test_a_lost_reason_goes_only_with_a_lost_stage(gql: GraphQL, workspace, target):
    # given
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "报价")
    await tick_ok(gql, workspace, deal["id"], pipeline["items"]["发送报价单"]["id"])
    before = await _read(gql, workspace, deal["id"])

    # when
    payload = await move(
        gql, workspace, deal["id"], pipeline["by_name"][target]["id"], lost_reason="价格"
    )

    # then
    assert payload["opportunity"] is None
    assert problems(payload) == [("lostReason", "INVALID")]
    assert await _read(gql, workspace, deal["id"]) == before


# ---------------------------------------------------------------- the checklist field


async def test_the_checklist_is_the_current_stages(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    pipeline = await create_pipeline(gql, workspace)
    deal = await _deal_in(gql, workspace, pipeline, "初步接触", rep.user_id)
    decision_maker = pipeline["items"]["确认决策人"]
    fresh = await _read(gql, workspace, deal["id"])

    # when
    before = _now()
    await tick_ok(gql, rep, deal["id"], decision_maker["id"])
    after = _now()
    ticked = await _read(gql, workspace, deal["id"])
    await move(gql, rep, deal["id"], pipeline["by_name"]["需求确认"]["id"])
    moved_on = await _read(gql, workspace, deal["id"])
    await move(gql, rep, deal["id"], pipeline["by_name"]["初步接触"]["id"])
    moved_back = await _read(gql, workspace, deal["id"])

    # then
    assert fresh["checklist"] == [
        {"item": decision_maker, "done": False, "doneAt": None, "doneBy": None},
        {"item": pipeline["items"]["记录线索来源"], "done": False, "doneAt": None, "doneBy": None},
    ]
    first = ticked["checklist"][0]
    assert (first["item"], first["done"], first["doneBy"]) == (
        decision_maker,
        True,
        {"id": rep.user_id},
    )
    assert before <= instant(first["doneAt"]) <= after
    assert ticked["checklist"][1]["done"] is False
    assert [(s["item"]["title"], s["done"]) for s in moved_on["checklist"]] == [
        ("确认预算", False),
        ("确认上线时间", False),
    ]
    assert moved_back["checklist"] == ticked["checklist"]
