"""setChecklistItem: ticking off a stage's checklist for one deal, recording who and when."""

from datetime import UTC, datetime

from tests.documents import document
from tests.factories import (
    create_customer,
    create_opportunity,
    create_pipeline,
    default_pipeline,
    instant,
    invite,
)
from tests.helpers import Account, GraphQL, problems

SET_CHECKLIST_ITEM = """
mutation($opportunityId: ID!, $itemId: ID!, $done: Boolean!) {
  setChecklistItem(opportunityId: $opportunityId, itemId: $itemId, done: $done) {
    opportunity {
      id updatedAt
      checklist { item { id title } done doneAt doneBy { id name } }
    }
    errors { field message code }
  }
}
"""
OPPORTUNITY = """
query($id: ID!) {
  node(id: $id) {
    ... on Opportunity {
      updatedAt
      checklist { item { id title } done doneAt doneBy { id } }
    }
  }
}
"""
STAGE_CHECKLIST = """
query($id: ID!) { node(id: $id) { ... on Stage { checklist { id } } } }
"""


async def _set(gql: GraphQL, account: Account, deal_id: str, item_id: str, done: bool) -> dict:
    variables = {"opportunityId": deal_id, "itemId": item_id, "done": done}
    result = await gql.execute(SET_CHECKLIST_ITEM, variables, account.token)
    return result.ok()["setChecklistItem"]


async def _read(gql: GraphQL, account: Account, deal_id: str) -> dict:
    return (await gql.execute(OPPORTUNITY, {"id": deal_id}, account.token)).ok()["node"]


def _state(deal: dict, title: str) -> dict:
    return next(state for state in deal["checklist"] if state["item"]["title"] == title)


async def _setting(
    gql: GraphQL, account: Account, stage: str = "初步接触", for_: str | None = None
):
    """A pipeline and a deal in `stage` of a new customer (of `for_`'s, a user id)."""
    pipeline = await create_pipeline(gql, account)
    customer = await create_customer(gql, account, **({"ownerId": for_} if for_ else {}))
    deal = await create_opportunity(
        gql, account, customer["id"], stageId=pipeline["by_name"][stage]["id"]
    )
    return pipeline, deal


async def _other_pipelines_item(gql: GraphQL, account: Account, stage_id: str) -> str:
    stage = (await gql.execute(STAGE_CHECKLIST, {"id": stage_id}, account.token)).ok()["node"]
    return stage["checklist"][0]["id"]


def _now() -> datetime:
    return datetime.now(UTC)


async def test_done_records_who_and_when(gql: GraphQL, workspace):
    # given: a rep works a deal the admin made for the rep's customer
    rep = await invite(gql, workspace, "REP")
    pipeline, deal = await _setting(gql, workspace, for_=rep.user_id)
    item = pipeline["items"]["确认决策人"]
    before_deal = await _read(gql, workspace, deal["id"])
    before = _now()

    # when
    payload = await _set(gql, rep, deal["id"], item["id"], True)

    # then
    after = _now()
    assert payload["errors"] == []
    state = _state(payload["opportunity"], "确认决策人")
    assert state["done"] is True
    assert state["doneBy"] == {"id": rep.user_id, "name": "REP 同事"}
    assert before <= instant(state["doneAt"]) <= after
    assert _state(payload["opportunity"], "记录线索来源")["done"] is False
    stored = await _read(gql, workspace, deal["id"])
    assert _state(stored, "确认决策人") == {
        "item": {"id": item["id"], "title": "确认决策人"},
        "done": True,
        "doneAt": state["doneAt"],
        "doneBy": {"id": rep.user_id},
    }
    assert instant(stored["updatedAt"]) > instant(before_deal["updatedAt"])


async def test_not_done_clears_who_and_when(gql: GraphQL, workspace):
    # given
    pipeline, deal = await _setting(gql, workspace)
    item = pipeline["items"]["确认决策人"]
    assert (await _set(gql, workspace, deal["id"], item["id"], True))["errors"] == []

    # when
    payload = await _set(gql, workspace, deal["id"], item["id"], False)

    # then
    assert payload["errors"] == []
    cleared = {
        "item": {"id": item["id"], "title": "确认决策人"},
        "done": False,
        "doneAt": None,
        "doneBy": None,
    }
    assert _state(await _read(gql, workspace, deal["id"]), "确认决策人") == cleared


async def test_ticking_again_keeps_the_first_tick(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    pipeline, deal = await _setting(gql, workspace, for_=rep.user_id)
    item = pipeline["items"]["确认决策人"]
    first = _state(
        (await _set(gql, workspace, deal["id"], item["id"], True))["opportunity"], "确认决策人"
    )

    # when
    payload = await _set(gql, rep, deal["id"], item["id"], True)

    # then
    assert payload["errors"] == []
    again = _state(payload["opportunity"], "确认决策人")
    assert (again["doneAt"], again["doneBy"]["id"]) == (first["doneAt"], workspace.user_id)


async def test_a_tick_belongs_to_one_deal(gql: GraphQL, workspace):
    # given: two deals in the same stage
    pipeline, deal = await _setting(gql, workspace)
    customer = await create_customer(gql, workspace)
    other = await create_opportunity(
        gql, workspace, customer["id"], stageId=pipeline["by_name"]["初步接触"]["id"]
    )

    # when
    await _set(gql, workspace, deal["id"], pipeline["items"]["确认决策人"]["id"], True)

    # then
    assert _state(await _read(gql, workspace, deal["id"]), "确认决策人")["done"] is True
    assert _state(await _read(gql, workspace, other["id"]), "确认决策人")["done"] is False


async def test_an_item_of_a_later_stage_can_be_ticked_ahead(gql: GraphQL, workspace):
    # given: at 初步接触, its own item done
    pipeline, deal = await _setting(gql, workspace)
    await _set(gql, workspace, deal["id"], pipeline["items"]["确认决策人"]["id"], True)

    # when: 确认预算 belongs to 需求确认
    payload = await _set(gql, workspace, deal["id"], pipeline["items"]["确认预算"]["id"], True)

    # then: not shown until the deal is there, then shown done
    assert payload["errors"] == []
    assert [s["item"]["title"] for s in payload["opportunity"]["checklist"]] == [
        "确认决策人",
        "记录线索来源",
    ]
    moved = await gql.execute(
        document("moveOpportunity"),
        {"id": deal["id"], "stageId": pipeline["by_name"]["需求确认"]["id"]},
        workspace.token,
    )
    assert moved.ok()["moveOpportunity"]["errors"] == []
    read = await _read(gql, workspace, deal["id"])
    assert [(s["item"]["title"], s["done"]) for s in read["checklist"]] == [
        ("确认预算", True),
        ("确认上线时间", False),
    ]


async def test_an_item_of_another_pipeline_is_not_found(gql: GraphQL, workspace):
    # given: the deal is in the new pipeline, the item in the default one
    pipeline, deal = await _setting(gql, workspace)
    other = await default_pipeline(gql, workspace)
    listing = other["by_name"]["Quote"]
    stranger = await gql.sign_up()
    foreign = (await create_pipeline(gql, stranger))["items"]["确认决策人"]
    before = await _read(gql, workspace, deal["id"])
    other_item = await _other_pipelines_item(gql, workspace, listing["id"])

    # when
    results = [
        await _set(gql, workspace, deal["id"], item_id, True)
        for item_id in (other_item, foreign["id"], pipeline["by_name"]["报价"]["id"], "???")
    ]

    # then
    for payload in results:
        assert payload["opportunity"] is None
        assert problems(payload) == [("itemId", "NOT_FOUND")]
    assert await _read(gql, workspace, deal["id"]) == before


async def test_another_workspaces_deal_is_not_found(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    pipeline, theirs = await _setting(gql, stranger)
    item = pipeline["items"]["确认决策人"]
    before = await _read(gql, stranger, theirs["id"])

    # when
    payload = await _set(gql, workspace, theirs["id"], item["id"], True)

    # then
    assert payload["opportunity"] is None
    assert problems(payload) == [("opportunityId", "NOT_FOUND")]
    assert await _read(gql, stranger, theirs["id"]) == before
