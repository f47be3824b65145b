"""createPipeline: a sales process with ordered stages, probabilities and checklists."""

import pytest

from tests.documents import document
from tests.factories import b2b_stages, create_customer, create_opportunity, create_pipeline, invite
from tests.helpers import GraphQL, problems

PIPELINES = """
{ pipelines { id name isDefault stages { id name } } }
"""
NODE = """
query($id: ID!) {
  node(id: $id) {
    id
    ... on Pipeline { name stages { id } }
    ... on Stage { name }
  }
}
"""
OPPORTUNITY = """
query($id: ID!) {
  node(id: $id) { ... on Opportunity { pipeline { id } stage { name } probability checklist { item { title } } } }
}
"""


async def _create(gql: GraphQL, token: str, **fields) -> dict:
    fields = {"name": "大客户销售", "stages": b2b_stages(), **fields}
    result = await gql.execute(document("createPipeline"), {"input": fields}, token)
    return result.ok()["createPipeline"]


async def _pipelines(gql: GraphQL, token: str) -> list[dict]:
    return (await gql.execute(PIPELINES, token=token)).ok()["pipelines"]


async def test_stages_come_back_in_order_with_their_checklists(gql: GraphQL, workspace):
    # given
    stages = b2b_stages()
    stages[2]["rottingDays"] = 14

    # when
    payload = await _create(gql, workspace.token, name="  大客户销售  ", stages=stages)

    # then
    assert payload["errors"] == []
    pipeline = payload["pipeline"]
    assert pipeline["name"] == "大客户销售"
    assert pipeline["isDefault"] is False
    assert [
        (s["name"], s["position"], s["probability"], s["kind"], s["rottingDays"])
        for s in pipeline["stages"]
    ] == [
        ("初步接触", 0, 10, "OPEN", None),
        ("需求确认", 1, 30, "OPEN", None),
        ("报价", 2, 60, "OPEN", 14),
        ("合同", 3, 80, "OPEN", None),
        ("赢单", 4, 100, "WON", None),
        ("输单", 5, 0, "LOST", None),
    ]
    checklists = {
        s["name"]: [(i["title"], i["required"]) for i in s["checklist"]] for s in pipeline["stages"]
    }
    assert checklists == {
        "初步接触": [("确认决策人", True), ("记录线索来源", False)],
        "需求确认": [("确认预算", True), ("确认上线时间", True)],
        "报价": [("发送报价单", True)],
        "合同": [("合同盖章", True)],
        "赢单": [],
        "输单": [],
    }
    item_ids = [i["id"] for s in pipeline["stages"] for i in s["checklist"]]
    assert len(set(item_ids)) == len(item_ids) == 6


async def test_the_new_pipeline_is_listed_after_the_default_one(gql: GraphQL, workspace):
    # given
    before = await _pipelines(gql, workspace.token)

    # when
    payload = await _create(gql, workspace.token)

    # then
    after = await _pipelines(gql, workspace.token)
    assert [p["id"] for p in after] == [before[0]["id"], payload["pipeline"]["id"]]
    assert [p["isDefault"] for p in after] == [True, False]
    assert [s["name"] for s in after[1]["stages"]] == [
        "初步接触",
        "需求确认",
        "报价",
        "合同",
        "赢单",
        "输单",
    ]


async def test_is_default_makes_it_the_only_default(gql: GraphQL, workspace):
    # given
    old = (await _pipelines(gql, workspace.token))[0]

    # when
    payload = await _create(gql, workspace.token, isDefault=True)

    # then
    assert payload["errors"] == []
    assert payload["pipeline"]["isDefault"] is True
    pipelines = await _pipelines(gql, workspace.token)
    assert [(p["id"], p["isDefault"]) for p in pipelines] == [
        (payload["pipeline"]["id"], True),
        (old["id"], False),
    ]


async def test_new_deals_without_a_pipeline_go_to_the_new_default(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace, isDefault=True)
    customer = await create_customer(gql, workspace)

    # when
    deal = await create_opportunity(gql, workspace, customer["id"], name="新默认流程")

    # then
    read = (await gql.execute(OPPORTUNITY, {"id": deal["id"]}, workspace.token)).ok()["node"]
    assert read["pipeline"]["id"] == pipeline["id"]
    assert read["stage"]["name"] == "初步接触"
    assert read["probability"] == 10
    assert [i["item"]["title"] for i in read["checklist"]] == ["确认决策人", "记录线索来源"]


@pytest.mark.parametrize("kind", ["WON", "LOST"])
async def test_a_pipeline_without_a_won_or_lost_stage_is_invalid(gql: GraphQL, workspace, kind):
    # given
    stages = [s for s in b2b_stages() if s.get("kind") != kind]
    before = await _pipelines(gql, workspace.token)

    # when
    payload = await _create(gql, workspace.token, stages=stages)

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [("input.stages", "INVALID")]
    assert kind in payload["errors"][0]["message"]
    assert await _pipelines(gql, workspace.token) == before


async def test_a_pipeline_without_an_open_stage_is_invalid(gql: GraphQL, workspace):
    # given
    stages = [s for s in b2b_stages() if s.get("kind") in ("WON", "LOST")]

    # when
    payload = await _create(gql, workspace.token, stages=stages)

    # then
    assert problems(payload) == [("input.stages", "INVALID")]
    assert "OPEN" in payload["errors"][0]["message"]


@pytest.mark.parametrize("probability", [101, -1])
async def test_probability_outside_0_to_100_is_invalid(gql: GraphQL, workspace, probability):
    # given
    stages = b2b_stages()
    stages[2]["probability"] = probability

    # when
    payload = await _create(gql, workspace.token, stages=stages)

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [("input.stages.2.probability", "INVALID")]


@pytest.mark.parametrize("probability", [0, 100])
async def test_probability_bounds_are_allowed(gql: GraphQL, workspace, probability):
    # given
    stages = b2b_stages()
    stages[0]["probability"] = probability

    # when
    payload = await _create(gql, workspace.token, stages=stages)

    # then
    assert payload["errors"] == []
    assert payload["pipeline"]["stages"][0]["probability"] == probability


async def test_a_blank_stage_name_is_required(gql: GraphQL, workspace):
    # given
    stages = b2b_stages()
    stages[1]["name"] = "   "

    # when
    payload = await _create(gql, workspace.token, stages=stages)

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [("input.stages.1.name", "REQUIRED")]


async def test_duplicate_stage_names_are_reported_at_each(gql: GraphQL, workspace):
    # given: the same name twice, and twice more differing only in case
    stages = b2b_stages()
    stages[1]["name"] = "报价"
    stages[0]["name"] = "Demo"
    stages[3]["name"] = "demo"

    # when
    payload = await _create(gql, workspace.token, stages=stages)

    # then
    assert payload["pipeline"] is None
    assert sorted(problems(payload)) == [
        ("input.stages.0.name", "DUPLICATE"),
        ("input.stages.1.name", "DUPLICATE"),
        ("input.stages.2.name", "DUPLICATE"),
        ("input.stages.3.name", "DUPLICATE"),
    ]


@pytest.mark.parametrize("days", [0, -3, 3651])
async def test_rotting_days_outside_1_to_3650_are_invalid(gql: GraphQL, workspace, days):
    # given
    stages = b2b_stages()
    stages[3]["rottingDays"] = days

    # when
    payload = await _create(gql, workspace.token, stages=stages)

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [("input.stages.3.rottingDays", "INVALID")]


async def test_a_blank_checklist_title_is_required(gql: GraphQL, workspace):
    # given
    stages = b2b_stages()
    stages[1]["checklist"][1]["title"] = " "

    # when
    payload = await _create(gql, workspace.token, stages=stages)

    # then
    assert problems(payload) == [("input.stages.1.checklist.1.title", "REQUIRED")]


async def test_every_problem_is_reported_at_once(gql: GraphQL, workspace):
    # given
    stages = [s for s in b2b_stages() if s.get("kind") != "WON"]
    stages[0]["probability"] = 150
    stages[1]["name"] = ""

    # when
    payload = await _create(gql, workspace.token, name="", stages=stages)

    # then
    assert sorted(problems(payload)) == [
        ("input.name", "REQUIRED"),
        ("input.stages", "INVALID"),
        ("input.stages.0.probability", "INVALID"),
        ("input.stages.1.name", "REQUIRED"),
    ]


async def test_a_manager_may_create_a_pipeline(gql: GraphQL, workspace):
    # given
    manager = await invite(gql, workspace, "MANAGER")

    # when
    payload = await _create(gql, manager.token)

    # then
    assert payload["errors"] == []
    assert payload["pipeline"]["name"] == "大客户销售"


async def test_a_rep_may_not_create_a_pipeline(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    before = await _pipelines(gql, workspace.token)

    # when
    payload = await _create(gql, rep.token)

    # then
    assert payload["pipeline"] is None
    assert problems(payload) == [(None, "FORBIDDEN")]
    assert await _pipelines(gql, workspace.token) == before


async def test_another_workspace_cannot_see_the_pipeline(gql: GraphQL, workspace):
    # given
    pipeline = await create_pipeline(gql, workspace)
    stage_id = pipeline["stages"][0]["id"]
    stranger = await gql.sign_up()

    # when
    theirs = await _pipelines(gql, stranger.token)
    foreign_pipeline = await gql.execute(NODE, {"id": pipeline["id"]}, stranger.token)
    foreign_stage = await gql.execute(NODE, {"id": stage_id}, stranger.token)
    own_pipeline = await gql.execute(NODE, {"id": pipeline["id"]}, workspace.token)
    own_stage = await gql.execute(NODE, {"id": stage_id}, workspace.token)

    # then
    assert pipeline["id"] not in [p["id"] for p in theirs]
    assert len(theirs) == 1
    assert foreign_pipeline.ok()["node"] is None
    assert foreign_stage.ok()["node"] is None
    assert own_pipeline.ok()["node"]["name"] == "大客户销售"
    assert len(own_pipeline.ok()["node"]["stages"]) == 6
    assert own_stage.ok()["node"] == {"id": stage_id, "name": "初步接触"}


async def test_each_workspace_may_use_the_same_stage_names(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    await create_pipeline(gql, stranger)

    # when
    payload = await _create(gql, workspace.token)

    # then
    assert payload["errors"] == []
