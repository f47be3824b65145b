"""Builders for the sales-process tests (pipelines, moves, checklists), through the public API."""

from __future__ import annotations

import copy
from typing import Any

from models import User
from tests.activities.factories import pk
from tests.helpers import Account, GraphQL

PIPELINE_FIELDS = """
fragment PipelineFields on Pipeline {
  id name isDefault
  stages { id name position probability kind rottingDays checklist { id title required } }
}
"""
CREATE_PIPELINE = (
    """
mutation($input: PipelineInput!) {
  createPipeline(input: $input) {
    pipeline { ...PipelineFields }
    errors { field message code }
  }
}
"""
    + PIPELINE_FIELDS
)
MOVE_OPPORTUNITY = """
mutation($id: ID!, $stageId: ID!, $lostReason: String) {
  moveOpportunity(id: $id, stageId: $stageId, lostReason: $lostReason) {
    opportunity { id status stage { id name } closedAt lostReason }
    errors { field message code }
  }
}
"""
SET_CHECKLIST_ITEM = """
mutation($opportunityId: ID!, $itemId: ID!, $done: Boolean!) {
  setChecklistItem(opportunityId: $opportunityId, itemId: $itemId, done: $done) {
    opportunity { id }
    errors { field message code }
  }
}
"""

# A B2B process as a Chinese sales team writes it: every open stage has a required item.
B2B_STAGES: list[dict[str, Any]] = [
    {
        "name": "初步接触",
        "probability": 10,
        "checklist": [
            {"title": "确认决策人", "required": True},
            {"title": "记录线索来源", "required": False},
        ],
    },
    {
        "name": "需求确认",
        "probability": 30,
        "checklist": [
            {"title": "确认预算", "required": True},
            {"title": "确认上线时间", "required": True},
        ],
    },
    {"name": "报价", "probability": 60, "checklist": [{"title": "发送报价单", "required": True}]},
    {"name": "合同", "probability": 80, "checklist": [{"title": "合同盖章", "required": True}]},
    {"name": "赢单", "probability": 100, "kind": "WON"},
    {"name": "输单", "probability": 0, "kind": "LOST"},
]


def b2b_stages() -> list[dict[str, Any]]:
    """A fresh copy of B2B_STAGES, safe to change in a test."""
    return copy.deepcopy(B2B_STAGES)


def with_lookups(pipeline: dict[str, Any]) -> dict[str, Any]:
    """The pipeline plus `by_name` (stages by name) and `items` (checklist items by title)."""
    return {
        **pipeline,
        "by_name": {stage["name"]: stage for stage in pipeline["stages"]},
        "items": {
            item["title"]: item for stage in pipeline["stages"] for item in stage["checklist"]
        },
    }


async def create_pipeline(
    gql: GraphQL,
    account: Account,
    stages: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    fields = {"name": "大客户销售", "stages": b2b_stages() if stages is None else stages, **fields}
    result = await gql.execute(CREATE_PIPELINE, {"input": fields}, account.token)
    payload = result.ok()["createPipeline"]
    assert payload["errors"] == [], payload["errors"]
    return with_lookups(payload["pipeline"])


async def move(
    gql: GraphQL, account: Account, deal_id: str, stage_id: str, lost_reason: str | None = None
) -> dict[str, Any]:
    """The moveOpportunity payload (errors not checked)."""
    variables = {"id": deal_id, "stageId": stage_id, "lostReason": lost_reason}
    return (await gql.execute(MOVE_OPPORTUNITY, variables, account.token)).ok()["moveOpportunity"]


async def move_ok(gql: GraphQL, account: Account, deal_id: str, stage_id: str, **kw: Any) -> None:
    payload = await move(gql, account, deal_id, stage_id, **kw)
    assert payload["errors"] == [], payload["errors"]


async def tick(
    gql: GraphQL, account: Account, deal_id: str, item_id: str, done: bool = True
) -> dict[str, Any]:
    """The setChecklistItem payload (errors not checked)."""
    variables = {"opportunityId": deal_id, "itemId": item_id, "done": done}
    result = await gql.execute(SET_CHECKLIST_ITEM, variables, account.token)
    return result.ok()["setChecklistItem"]


async def tick_ok(gql: GraphQL, account: Account, deal_id: str, *item_ids: str) -> None:
    for item_id in item_ids:
        payload = await tick(gql, account, deal_id, item_id)
        assert payload["errors"] == [], payload["errors"]


async def workspace_pk(account: Account) -> int:
    return (await User.get(id=pk(account.user_id))).workspace_id


def errors(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]
