"""Editing a pipeline: updatePipeline, addStage, updateStage, reorderStages, removeStage and
the stage checklists (add/update/removeChecklistItem)."""

from datetime import UTC, datetime

import pytest

from tests.documents import document
from tests.factories import (
    b2b_stages,
    create_customer,
    create_opportunity,
    create_pipeline,
    default_pipeline,
    instant,
    invite,
    move,
    move_ok,
    mutate,
    tick_ok,
    with_lookups,
)
from tests.helpers import Account, GraphQL, problems

PIPELINES = """
{ pipelines { id name isDefault } }
"""
OPPORTUNITY = """
query($id: ID!) {
  node(id: $id) {
    ... on Opportunity {
      status closedAt lostReason amount probability weightedAmount
      stage { id name }
      checklist { item { title } done }
      stageHistory { from { id name } to { id name } changedBy { id } changedAt }
    }
  }
}
"""
STAGES_ONLY = [
    {"name": "线索", "probability": 10},
    {"name": "赢单", "probability": 100, "kind": "WON"},
    {"name": "输单", "probability": 0, "kind": "LOST"},
]


async def _pipeline(gql: GraphQL, account: Account, pipeline_id: str) -> dict:
    node = (await gql.execute(document("pipeline"), {"id": pipeline_id}, account.token)).ok()[
        "node"
    ]
    return with_lookups(node)


async def _deal(gql: GraphQL, account: Account, deal_id: str) -> dict:
    return (await gql.execute(OPPORTUNITY, {"id": deal_id}, account.token)).ok()["node"]


def _layout(pipeline: dict) -> list[tuple[str, int]]:
    return [(stage["name"], stage["position"]) for stage in pipeline["stages"]]


# ---------------------------------------------------------------- updatePipeline


async def test_rename_a_pipeline(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)

    # when
    payload = await mutate(
        gql,
        workspace,
        "updatePipeline",
        id=pipeline["id"],
        input={"name": " 渠道 "},
    )

    # then
    assert payload["errors"] == []
    assert payload["pipeline"]["name"] == "渠道"
    assert payload["pipeline"]["isDefault"] is False
    assert payload["pipeline"]["stages"] == pipeline["stages"]
    assert (await _pipeline(gql, workspace, pipeline["id"]))["name"] == "渠道"


async def test_a_blank_pipeline_name_is_required(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)

    # when
    payload = await mutate(gql, workspace, "updatePipeline", id=pipeline["id"], input={"name": " "})

    # then
    assert problems(payload) == [("input.name", "REQUIRED")]
    assert (await _pipeline(gql, workspace, pipeline["id"]))["name"] == "大客户销售"


async def test_make_another_pipeline_the_default(gql: GraphQL, workspace):
    # given
    old = await default_pipeline(gql, workspace)
    pipeline = await create_pipeline(gql, workspace)

    # when
    payload = await mutate(
        gql,
        workspace,
        "updatePipeline",
        id=pipeline["id"],
        input={"isDefault": True},
    )

    # then
    assert payload["errors"] == []
    assert payload["pipeline"]["isDefault"] is True
    assert payload["pipeline"]["name"] == "大客户销售"
    pipelines = (await gql.execute(PIPELINES, token=workspace.token)).ok()["pipelines"]
    assert [(p["id"], p["isDefault"]) for p in pipelines] == [
        (pipeline["id"], True),
        (old["id"], False),
    ]


async def test_the_default_cannot_be_unset(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace, isDefault=True)

    # when
    payload = await mutate(
        gql,
        workspace,
        "updatePipeline",
        id=pipeline["id"],
        input={"isDefault": False, "name": "改名"},
    )

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [("input.isDefault", "CONFLICT")]
    stored = await _pipeline(gql, workspace, pipeline["id"])
    assert (stored["name"], stored["isDefault"]) == ("大客户销售", True)


async def test_unsetting_a_non_default_changes_nothing(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)

    # when
    payload = await mutate(
        gql,
        workspace,
        "updatePipeline",
        id=pipeline["id"],
        input={"isDefault": False},
    )

    # then
    assert payload["errors"] == []
    pipelines = (await gql.execute(PIPELINES, token=workspace.token)).ok()["pipelines"]
    assert [p["isDefault"] for p in pipelines] == [True, False]


async def test_another_workspaces_pipeline_is_not_found(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    theirs = await create_pipeline(gql, stranger)

    # when
    payload = await mutate(
        gql,
        workspace,
        "updatePipeline",
        id=theirs["id"],
        input={"name": "抢来的"},
    )

    # then
    assert problems(payload) == [("id", "NOT_FOUND")]
    assert (await _pipeline(gql, stranger, theirs["id"]))["name"] == "大客户销售"


# ---------------------------------------------------------------- addStage


async def test_add_a_stage_at_a_position_shifts_the_others(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    stage = {
        "name": "方案演示",
        "probability": 45,
        "rottingDays": 7,
        "checklist": [{"title": "演示完成", "required": True}, {"title": "收集反馈"}],
    }

    # when
    payload = await mutate(
        gql,
        workspace,
        "addStage",
        pipelineId=pipeline["id"],
        input=stage,
        position=2,
    )

    # then
    assert payload["errors"] == []
    expected = [
        ("初步接触", 0),
        ("需求确认", 1),
        ("方案演示", 2),
        ("报价", 3),
        ("合同", 4),
        ("赢单", 5),
        ("输单", 6),
    ]
    assert _layout(payload["pipeline"]) == expected
    stored = await _pipeline(gql, workspace, pipeline["id"])
    assert _layout(stored) == expected
    added = stored["by_name"]["方案演示"]
    assert (added["probability"], added["kind"], added["rottingDays"]) == (45, "OPEN", 7)
    assert [(i["title"], i["required"]) for i in added["checklist"]] == [
        ("演示完成", True),
        ("收集反馈", False),
    ]
    # the other stages keep their ids and checklists
    assert stored["by_name"]["报价"] == {**pipeline["by_name"]["报价"], "position": 3}


async def test_add_a_stage_first(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace, stages=STAGES_ONLY)

    # when
    payload = await mutate(
        gql,
        workspace,
        "addStage",
        pipelineId=pipeline["id"],
        input={"name": "市场活动", "probability": 5},
        position=0,
    )

    # then
    assert _layout(payload["pipeline"]) == [("市场活动", 0), ("线索", 1), ("赢单", 2), ("输单", 3)]


async def test_add_a_stage_without_a_position_puts_it_last(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace, stages=STAGES_ONLY)

    # when
    payload = await mutate(
        gql,
        workspace,
        "addStage",
        pipelineId=pipeline["id"],
        input={"name": "搁置", "probability": 0, "kind": "LOST"},
    )

    # then
    assert payload["errors"] == []
    assert _layout(payload["pipeline"]) == [("线索", 0), ("赢单", 1), ("输单", 2), ("搁置", 3)]
    assert payload["pipeline"]["stages"][3]["kind"] == "LOST"


async def test_add_a_stage_with_a_taken_name_or_a_bad_position(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace, stages=STAGES_ONLY)

    # when
    duplicate = await mutate(
        gql,
        workspace,
        "addStage",
        pipelineId=pipeline["id"],
        input={"name": "赢单", "probability": 100},
    )
    too_far = await mutate(
        gql,
        workspace,
        "addStage",
        pipelineId=pipeline["id"],
        input={"name": "新阶段", "probability": 20},
        position=4,
    )
    negative = await mutate(
        gql,
        workspace,
        "addStage",
        pipelineId=pipeline["id"],
        input={"name": "新阶段", "probability": 20},
        position=-1,
    )
    bad_probability = await mutate(
        gql,
        workspace,
        "addStage",
        pipelineId=pipeline["id"],
        input={"name": "新阶段", "probability": 101},
    )

    # then
    assert problems(duplicate) == [("input.name", "DUPLICATE")]
    assert problems(too_far) == [("position", "INVALID")]
    assert problems(negative) == [("position", "INVALID")]
    assert problems(bad_probability) == [("input.probability", "INVALID")]
    stored = await _pipeline(gql, workspace, pipeline["id"])
    assert _layout(stored) == [("线索", 0), ("赢单", 1), ("输单", 2)]


# ---------------------------------------------------------------- updateStage


async def test_update_a_stage(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    quote = pipeline["by_name"]["报价"]

    # when
    payload = await mutate(
        gql,
        workspace,
        "updateStage",
        id=quote["id"],
        input={"name": "商务报价", "rottingDays": 10},
    )

    # then
    assert payload["errors"] == []
    stored = (await _pipeline(gql, workspace, pipeline["id"]))["by_name"]
    assert "报价" not in stored
    assert stored["商务报价"] == {**quote, "name": "商务报价", "rottingDays": 10}


async def test_a_stage_name_taken_by_a_sibling_is_duplicate(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)

    # when
    taken = await mutate(
        gql,
        workspace,
        "updateStage",
        id=pipeline["by_name"]["报价"]["id"],
        input={"name": "合同"},
    )
    own = await mutate(
        gql,
        workspace,
        "updateStage",
        id=pipeline["by_name"]["报价"]["id"],
        input={"name": "报价"},
    )

    # then
    assert problems(taken) == [("input.name", "DUPLICATE")]
    assert own["errors"] == []


async def test_stage_probability_changes_the_weighted_amount_of_its_deals(gql: GraphQL, workspace):
    # given: 1000 at 报价 (60%) weighs 600
    pipeline = await create_pipeline(gql, workspace)
    quote = pipeline["by_name"]["报价"]
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(
        gql, workspace, customer["id"], amount="1000", stageId=quote["id"]
    )
    elsewhere = await create_opportunity(
        gql, workspace, customer["id"], amount="1000", stageId=pipeline["by_name"]["合同"]["id"]
    )
    assert (await _deal(gql, workspace, deal["id"]))["weightedAmount"] == "600.00"

    # when
    payload = await mutate(gql, workspace, "updateStage", id=quote["id"], input={"probability": 75})

    # then: 1000 × 75% = 750; the deal at 合同 stays 1000 × 80% = 800
    assert payload["errors"] == []
    read = await _deal(gql, workspace, deal["id"])
    assert (read["probability"], read["weightedAmount"]) == (75, "750.00")
    assert (await _deal(gql, workspace, elsewhere["id"]))["weightedAmount"] == "800.00"


@pytest.mark.parametrize(
    ("probability", "code"), [(101, "INVALID"), (-1, "INVALID"), (None, "REQUIRED")]
)
async def test_a_stage_probability_out_of_range(gql: GraphQL, workspace, probability, code):
    # given
    pipeline = await create_pipeline(gql, workspace)
    quote = pipeline["by_name"]["报价"]

    # when
    payload = await mutate(
        gql,
        workspace,
        "updateStage",
        id=quote["id"],
        input={"probability": probability},
    )

    # then
    assert problems(payload) == [("input.probability", code)]
    assert (await _pipeline(gql, workspace, pipeline["id"]))["by_name"]["报价"] == quote


async def test_changing_the_kind_of_an_empty_stage(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)

    # when
    payload = await mutate(
        gql,
        workspace,
        "updateStage",
        id=pipeline["by_name"]["合同"]["id"],
        input={"kind": "WON"},
    )

    # then
    assert payload["errors"] == []
    stored = await _pipeline(gql, workspace, pipeline["id"])
    assert [s["kind"] for s in stored["stages"]] == ["OPEN", "OPEN", "OPEN", "WON", "WON", "LOST"]


async def test_changing_the_kind_of_a_stage_holding_deals_is_a_conflict(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    contract = pipeline["by_name"]["合同"]
    customer = await create_customer(gql, workspace)
    for name in ("一", "二"):
        await create_opportunity(gql, workspace, customer["id"], name=name, stageId=contract["id"])

    # when
    payload = await mutate(gql, workspace, "updateStage", id=contract["id"], input={"kind": "WON"})

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [("input.kind", "CONFLICT")]
    assert "2" in payload["errors"][0]["message"]
    assert (await _pipeline(gql, workspace, pipeline["id"]))["by_name"]["合同"]["kind"] == "OPEN"


async def test_the_only_won_stage_cannot_become_open(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)

    # when
    payload = await mutate(
        gql,
        workspace,
        "updateStage",
        id=pipeline["by_name"]["赢单"]["id"],
        input={"kind": "OPEN"},
    )

    # then
    assert problems(payload) == [("input.kind", "INVALID")]
    assert (await _pipeline(gql, workspace, pipeline["id"]))["by_name"]["赢单"]["kind"] == "WON"


# ---------------------------------------------------------------- reorderStages


async def test_reorder_the_stages(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    ids = [s["id"] for s in pipeline["stages"]]
    new_order = [ids[1], ids[0], ids[3], ids[2], ids[5], ids[4]]

    # when
    payload = await mutate(
        gql,
        workspace,
        "reorderStages",
        pipelineId=pipeline["id"],
        stageIds=new_order,
    )

    # then
    assert payload["errors"] == []
    expected = [
        ("需求确认", 0),
        ("初步接触", 1),
        ("合同", 2),
        ("报价", 3),
        ("输单", 4),
        ("赢单", 5),
    ]
    assert _layout(payload["pipeline"]) == expected
    stored = await _pipeline(gql, workspace, pipeline["id"])
    assert _layout(stored) == expected
    assert [s["id"] for s in stored["stages"]] == new_order


BAD_ORDERS = {
    "missing-one": lambda ids: ids[:-1],
    "one-twice": lambda ids: [*ids[:-1], ids[0]],
    "one-extra": lambda ids: [*ids, ids[0]],
    "empty": lambda ids: [],
}


@pytest.mark.parametrize("change", list(BAD_ORDERS))
async def test_reorder_needs_every_stage_exactly_once(gql: GraphQL, workspace, change):
    # given
    pipeline = await create_pipeline(gql, workspace)
    ids = [s["id"] for s in pipeline["stages"]]

    # when
    payload = await mutate(
        gql,
        workspace,
        "reorderStages",
        pipelineId=pipeline["id"],
        stageIds=BAD_ORDERS[change](ids),
    )

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [("stageIds", "INVALID")]
    stored = await _pipeline(gql, workspace, pipeline["id"])
    assert [s["id"] for s in stored["stages"]] == ids


async def test_reorder_with_a_stage_of_another_pipeline_is_invalid(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    other = await default_pipeline(gql, workspace)
    ids = [s["id"] for s in pipeline["stages"]]

    # when
    payload = await mutate(
        gql,
        workspace,
        "reorderStages",
        pipelineId=pipeline["id"],
        stageIds=[*ids[:-1], other["stages"][0]["id"]],
    )

    # then
    assert problems(payload) == [("stageIds", "INVALID")]
    assert [s["id"] for s in (await _pipeline(gql, workspace, pipeline["id"]))["stages"]] == ids


async def test_reorder_with_an_id_of_another_type_is_not_found(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    ids = [s["id"] for s in pipeline["stages"]]

    # when
    payload = await mutate(
        gql,
        workspace,
        "reorderStages",
        pipelineId=pipeline["id"],
        stageIds=[ids[0], pipeline["id"], *ids[2:]],
    )

    # then
    assert problems(payload) == [("stageIds.1", "NOT_FOUND")]


# ---------------------------------------------------------------- removeStage


async def test_remove_an_empty_stage(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)

    # when
    payload = await mutate(gql, workspace, "removeStage", id=pipeline["by_name"]["需求确认"]["id"])

    # then
    assert payload["errors"] == []
    expected = [("初步接触", 0), ("报价", 1), ("合同", 2), ("赢单", 3), ("输单", 4)]
    assert _layout(payload["pipeline"]) == expected
    assert _layout(await _pipeline(gql, workspace, pipeline["id"])) == expected


async def test_a_removed_stage_name_may_be_used_again(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    await mutate(gql, workspace, "removeStage", id=pipeline["by_name"]["需求确认"]["id"])

    # when
    payload = await mutate(
        gql,
        workspace,
        "addStage",
        pipelineId=pipeline["id"],
        input={"name": "需求确认", "probability": 35},
        position=1,
    )

    # then
    assert payload["errors"] == []
    assert _layout(payload["pipeline"])[:3] == [("初步接触", 0), ("需求确认", 1), ("报价", 2)]


async def test_removing_a_stage_holding_deals_is_a_conflict(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    quote = pipeline["by_name"]["报价"]
    customer = await create_customer(gql, workspace)
    for name in ("一", "二", "三"):
        await create_opportunity(gql, workspace, customer["id"], name=name, stageId=quote["id"])

    # when
    payload = await mutate(gql, workspace, "removeStage", id=quote["id"])

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [("moveOpportunitiesTo", "CONFLICT")]
    assert "3" in payload["errors"][0]["message"]
    assert "报价" in (await _pipeline(gql, workspace, pipeline["id"]))["by_name"]


async def test_remove_a_stage_moving_its_deals(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    quote, contract = pipeline["by_name"]["报价"], pipeline["by_name"]["合同"]
    customer = await create_customer(gql, workspace)
    deals = [
        await create_opportunity(
            gql, workspace, customer["id"], name=name, amount="1000", stageId=quote["id"]
        )
        for name in ("一", "二")
    ]
    bystander = await create_opportunity(gql, workspace, customer["id"], stageId=contract["id"])
    before = datetime.now(UTC).replace(microsecond=0)

    # when
    payload = await mutate(
        gql,
        workspace,
        "removeStage",
        id=quote["id"],
        moveOpportunitiesTo=contract["id"],
    )

    # then
    assert payload["errors"] == []
    assert "报价" not in with_lookups(payload["pipeline"])["by_name"]
    assert _layout(payload["pipeline"]) == [
        ("初步接触", 0),
        ("需求确认", 1),
        ("合同", 2),
        ("赢单", 3),
        ("输单", 4),
    ]
    for deal in deals:
        read = await _deal(gql, workspace, deal["id"])
        assert read["stage"] == {"id": contract["id"], "name": "合同"}
        assert read["status"] == "OPEN"
        assert read["closedAt"] is None
        assert (read["probability"], read["weightedAmount"]) == (80, "800.00")
        assert [(h["from"], h["to"]["name"]) for h in read["stageHistory"]] == [
            (None, "报价"),
            ({"id": quote["id"], "name": "报价"}, "合同"),
        ]
        last = read["stageHistory"][-1]
        assert last["changedBy"] == {"id": workspace.user_id}
        assert instant(last["changedAt"]) >= before
        assert [i["item"]["title"] for i in read["checklist"]] == ["合同盖章"]
    assert len((await _deal(gql, workspace, bystander["id"]))["stageHistory"]) == 1


async def test_deals_moved_into_a_won_stage_are_won(gql: GraphQL, workspace):
    # given: a pipeline with two WON stages, so either may go
    stages = b2b_stages()
    stages.insert(4, {"name": "已回款", "probability": 100, "kind": "WON"})
    pipeline = await create_pipeline(gql, workspace, stages=stages)
    contract, won = pipeline["by_name"]["合同"], pipeline["by_name"]["已回款"]
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"], stageId=contract["id"])
    before = datetime.now(UTC).replace(microsecond=0)

    # when
    payload = await mutate(
        gql,
        workspace,
        "removeStage",
        id=contract["id"],
        moveOpportunitiesTo=won["id"],
    )

    # then
    assert payload["errors"] == []
    read = await _deal(gql, workspace, deal["id"])
    assert read["stage"]["name"] == "已回款"
    assert read["status"] == "WON"
    assert instant(read["closedAt"]) >= before
    assert read["stageHistory"][-1]["from"]["name"] == "合同"


async def test_lost_deals_moved_to_an_open_stage_are_reopened(gql: GraphQL, workspace):
    # given: two LOST stages; a deal lost to the one about to be removed
    stages = b2b_stages()
    stages.append({"name": "无预算", "probability": 0, "kind": "LOST"})
    pipeline = await create_pipeline(gql, workspace, stages=stages)
    no_budget, first = pipeline["by_name"]["无预算"], pipeline["by_name"]["初步接触"]
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"], pipelineId=pipeline["id"])
    await move_ok(gql, workspace, deal["id"], no_budget["id"], lost_reason="预算被砍")

    # when
    payload = await mutate(
        gql,
        workspace,
        "removeStage",
        id=no_budget["id"],
        moveOpportunitiesTo=first["id"],
    )

    # then: open again, as moveOpportunity would leave it
    assert payload["errors"] == []
    read = await _deal(gql, workspace, deal["id"])
    assert read["stage"]["name"] == "初步接触"
    assert read["status"] == "OPEN"
    assert read["closedAt"] is None
    assert read["lostReason"] is None


async def test_lost_deals_moved_to_another_lost_stage_stay_closed_as_they_were(
    gql: GraphQL, workspace
):
    # given
    stages = b2b_stages()
    stages.append({"name": "无预算", "probability": 0, "kind": "LOST"})
    pipeline = await create_pipeline(gql, workspace, stages=stages)
    no_budget, lost = pipeline["by_name"]["无预算"], pipeline["by_name"]["输单"]
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"], pipelineId=pipeline["id"])
    await move_ok(gql, workspace, deal["id"], no_budget["id"], lost_reason="预算被砍")
    closed = await _deal(gql, workspace, deal["id"])

    # when
    payload = await mutate(
        gql,
        workspace,
        "removeStage",
        id=no_budget["id"],
        moveOpportunitiesTo=lost["id"],
    )

    # then: still lost, when and why it was lost
    assert payload["errors"] == []
    read = await _deal(gql, workspace, deal["id"])
    assert read["stage"]["name"] == "输单"
    assert read["status"] == "LOST"
    assert read["lostReason"] == "预算被砍"
    assert instant(read["closedAt"]) == instant(closed["closedAt"])


async def test_move_to_a_stage_of_another_pipeline_is_not_found(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    other = await default_pipeline(gql, workspace)
    quote = pipeline["by_name"]["报价"]
    customer = await create_customer(gql, workspace)
    await create_opportunity(gql, workspace, customer["id"], stageId=quote["id"])

    # when
    foreign = await mutate(
        gql,
        workspace,
        "removeStage",
        id=quote["id"],
        moveOpportunitiesTo=other["by_name"]["Quote"]["id"],
    )
    itself = await mutate(
        gql, workspace, "removeStage", id=quote["id"], moveOpportunitiesTo=quote["id"]
    )

    # then
    assert problems(foreign) == [("moveOpportunitiesTo", "NOT_FOUND")]
    assert problems(itself) == [("moveOpportunitiesTo", "NOT_FOUND")]
    assert "报价" in (await _pipeline(gql, workspace, pipeline["id"]))["by_name"]


@pytest.mark.parametrize("name", ["赢单", "输单"])
async def test_the_last_won_or_lost_stage_cannot_be_removed(gql: GraphQL, workspace, name):
    # given
    pipeline = await create_pipeline(gql, workspace)

    # when
    payload = await mutate(gql, workspace, "removeStage", id=pipeline["by_name"][name]["id"])

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [("id", "INVALID")]
    assert len((await _pipeline(gql, workspace, pipeline["id"]))["stages"]) == 6


async def test_one_of_two_won_stages_can_be_removed(gql: GraphQL, workspace):
    # given
    stages = b2b_stages()
    stages.insert(4, {"name": "已回款", "probability": 100, "kind": "WON"})
    pipeline = await create_pipeline(gql, workspace, stages=stages)

    # when
    payload = await mutate(gql, workspace, "removeStage", id=pipeline["by_name"]["赢单"]["id"])

    # then
    assert payload["errors"] == []
    assert [s["name"] for s in payload["pipeline"]["stages"]][-2:] == ["已回款", "输单"]


async def test_a_removed_stage_cannot_be_edited_or_removed_again(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    stage = pipeline["by_name"]["需求确认"]
    await mutate(gql, workspace, "removeStage", id=stage["id"])

    # when
    again = await mutate(gql, workspace, "removeStage", id=stage["id"])
    edit = await mutate(gql, workspace, "updateStage", id=stage["id"], input={"name": "复活"})
    item = await mutate(
        gql,
        workspace,
        "addChecklistItem",
        stageId=stage["id"],
        input={"title": "新事项"},
    )

    # then
    assert problems(again) == [("id", "NOT_FOUND")]
    assert problems(edit) == [("id", "NOT_FOUND")]
    assert problems(item) == [("stageId", "NOT_FOUND")]


async def test_new_deals_start_in_the_first_stage_left_after_a_removal(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    await mutate(gql, workspace, "removeStage", id=pipeline["by_name"]["初步接触"]["id"])
    customer = await create_customer(gql, workspace)

    # when
    deal = await create_opportunity(gql, workspace, customer["id"], pipelineId=pipeline["id"])

    # then
    read = await _deal(gql, workspace, deal["id"])
    assert read["stage"]["name"] == "需求确认"


async def test_a_removed_stage_cannot_receive_new_deals(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    removed = pipeline["by_name"]["需求确认"]
    await mutate(gql, workspace, "removeStage", id=removed["id"])
    customer = await create_customer(gql, workspace)

    # when
    payload = await mutate(
        gql,
        workspace,
        "createOpportunity",
        input={"customerId": customer["id"], "name": "迟到的", "stageId": removed["id"]},
    )

    # then
    assert problems(payload) == [("input.stageId", "NOT_FOUND")]


# ---------------------------------------------------------------- checklist items


async def test_add_a_checklist_item_at_the_end(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    needs = pipeline["by_name"]["需求确认"]

    # when
    payload = await mutate(
        gql,
        workspace,
        "addChecklistItem",
        stageId=needs["id"],
        input={"title": " 确认采购流程 ", "required": True},
    )
    optional = await mutate(
        gql,
        workspace,
        "addChecklistItem",
        stageId=needs["id"],
        input={"title": "了解竞争对手"},
    )

    # then
    assert payload["errors"] == optional["errors"] == []
    checklist = (await _pipeline(gql, workspace, pipeline["id"]))["by_name"]["需求确认"][
        "checklist"
    ]
    assert [(i["title"], i["required"]) for i in checklist] == [
        ("确认预算", True),
        ("确认上线时间", True),
        ("确认采购流程", True),
        ("了解竞争对手", False),
    ]


async def test_a_blank_checklist_title_is_required(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    item = pipeline["items"]["确认预算"]

    # when
    added = await mutate(
        gql,
        workspace,
        "addChecklistItem",
        stageId=pipeline["by_name"]["报价"]["id"],
        input={"title": "  "},
    )
    renamed = await mutate(
        gql,
        workspace,
        "updateChecklistItem",
        id=item["id"],
        input={"title": ""},
    )

    # then
    assert problems(added) == [("input.title", "REQUIRED")]
    assert problems(renamed) == [("input.title", "REQUIRED")]
    stored = await _pipeline(gql, workspace, pipeline["id"])
    assert stored["stages"] == pipeline["stages"]


async def test_rename_a_checklist_item_and_toggle_required(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    budget, source = pipeline["items"]["确认预算"], pipeline["items"]["记录线索来源"]

    # when
    renamed = await mutate(
        gql,
        workspace,
        "updateChecklistItem",
        id=budget["id"],
        input={"title": "确认年度预算"},
    )
    optional = await mutate(
        gql,
        workspace,
        "updateChecklistItem",
        id=budget["id"],
        input={"required": False},
    )
    required = await mutate(
        gql,
        workspace,
        "updateChecklistItem",
        id=source["id"],
        input={"required": True},
    )

    # then
    assert renamed["errors"] == optional["errors"] == required["errors"] == []
    items = (await _pipeline(gql, workspace, pipeline["id"]))["items"]
    assert items["确认年度预算"] == {"id": budget["id"], "title": "确认年度预算", "required": False}
    assert items["记录线索来源"] == {**source, "required": True}
    assert "确认预算" not in items


async def test_remove_a_checklist_item(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    item = pipeline["items"]["确认预算"]

    # when
    payload = await mutate(gql, workspace, "removeChecklistItem", id=item["id"])

    # then
    assert payload["errors"] == []
    checklist = (await _pipeline(gql, workspace, pipeline["id"]))["by_name"]["需求确认"][
        "checklist"
    ]
    assert [i["title"] for i in checklist] == ["确认上线时间"]
    again = await mutate(gql, workspace, "removeChecklistItem", id=item["id"])
    assert problems(again) == [("id", "NOT_FOUND")]


async def test_checklist_edits_govern_the_next_move(gql: GraphQL, workspace):
    # given: a deal at 初步接触 with its required item done
    pipeline = await create_pipeline(gql, workspace)
    first, needs = pipeline["by_name"]["初步接触"], pipeline["by_name"]["需求确认"]
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"], pipelineId=pipeline["id"])
    await tick_ok(gql, workspace, deal["id"], pipeline["items"]["确认决策人"]["id"])

    # when: a new required item appears, the move is held up; once it is gone, it passes
    added = await mutate(
        gql,
        workspace,
        "addChecklistItem",
        stageId=first["id"],
        input={"title": "签署保密协议", "required": True},
    )
    blocked = await move(gql, workspace, deal["id"], needs["id"])
    new_item = with_lookups(added["pipeline"])["items"]["签署保密协议"]
    await mutate(gql, workspace, "removeChecklistItem", id=new_item["id"])
    allowed = await move(gql, workspace, deal["id"], needs["id"])

    # then
    assert problems(blocked) == [("stageId", "CONFLICT")]
    assert "签署保密协议" in blocked["errors"][0]["message"]
    assert allowed["errors"] == []
    assert allowed["opportunity"]["stage"]["name"] == "需求确认"


async def test_another_workspaces_checklist_item_is_not_found(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    theirs = await create_pipeline(gql, stranger)
    item = theirs["items"]["确认预算"]

    # when
    updated = await mutate(
        gql,
        workspace,
        "updateChecklistItem",
        id=item["id"],
        input={"title": "抢来的"},
    )
    removed = await mutate(gql, workspace, "removeChecklistItem", id=item["id"])
    added = await mutate(
        gql,
        workspace,
        "addChecklistItem",
        stageId=theirs["by_name"]["报价"]["id"],
        input={"title": "抢来的"},
    )

    # then
    assert problems(updated) == [("id", "NOT_FOUND")]
    assert problems(removed) == [("id", "NOT_FOUND")]
    assert problems(added) == [("stageId", "NOT_FOUND")]
    assert (await _pipeline(gql, stranger, theirs["id"]))["stages"] == theirs["stages"]


# ---------------------------------------------------------------- who may edit

EDITS = {
    "updatePipeline": lambda p: {"id": p["id"], "input": {"name": "销售改的"}},
    "addStage": lambda p: {"pipelineId": p["id"], "input": {"name": "销售加的", "probability": 5}},
    "updateStage": lambda p: {"id": p["by_name"]["报价"]["id"], "input": {"probability": 99}},
    "reorderStages": lambda p: {
        "pipelineId": p["id"],
        "stageIds": [s["id"] for s in reversed(p["stages"])],
    },
    "removeStage": lambda p: {"id": p["by_name"]["需求确认"]["id"]},
    "addChecklistItem": lambda p: {
        "stageId": p["by_name"]["报价"]["id"],
        "input": {"title": "销售加的"},
    },
    "updateChecklistItem": lambda p: {
        "id": p["items"]["确认预算"]["id"],
        "input": {"required": False},
    },
    "removeChecklistItem": lambda p: {"id": p["items"]["确认预算"]["id"]},
}


@pytest.mark.parametrize("mutation", list(EDITS))
async def test_a_rep_may_not_edit_a_pipeline(gql: GraphQL, workspace, mutation):
    # given
    pipeline = await create_pipeline(gql, workspace)
    rep = await invite(gql, workspace, "REP")
    variables = EDITS[mutation](pipeline)

    # when
    payload = await mutate(gql, rep, mutation, **variables)

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [(None, "FORBIDDEN")]
    stored = await _pipeline(gql, workspace, pipeline["id"])
    assert (stored["name"], stored["stages"]) == (pipeline["name"], pipeline["stages"])


@pytest.mark.parametrize("mutation", list(EDITS))
async def test_a_manager_may_edit_a_pipeline(gql: GraphQL, workspace, mutation):
    # given
    pipeline = await create_pipeline(gql, workspace)
    manager = await invite(gql, workspace, "MANAGER")
    variables = EDITS[mutation](pipeline)

    # when
    payload = await mutate(gql, manager, mutation, **variables)

    # then
    assert payload["errors"] == []
    stored = await _pipeline(gql, workspace, pipeline["id"])
    assert (stored["name"], stored["stages"]) != (pipeline["name"], pipeline["stages"])
