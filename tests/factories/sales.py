"""Products, pipelines and deals: created, moved and ticked through the API."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from tests.documents import document
from tests.factories.calls import mutate, mutate_ok
from tests.helpers import Account, GraphQL

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
            item["title"]: item
            for stage in pipeline["stages"]
            for item in stage.get("checklist") or []
        },
    }


async def create_product(
    gql: GraphQL, account: Account, unit_price: str = "99.99", **fields: Any
) -> dict[str, Any]:
    fields = {"name": f"产品 {uuid.uuid4().hex[:6]}", "unitPrice": unit_price, **fields}
    return (await mutate_ok(gql, account, "createProduct", input=fields))["product"]


async def default_pipeline(gql: GraphQL, account: Account) -> dict[str, Any]:
    """The default pipeline with its stages by name."""
    pipelines = (await gql.execute(document("pipelines"), token=account.token)).ok()["pipelines"]
    return with_lookups(next(p for p in pipelines if p["isDefault"]))


async def create_pipeline(
    gql: GraphQL, account: Account, stages: list[dict[str, Any]] | None = None, **fields: Any
) -> dict[str, Any]:
    """A pipeline (default: the B2B stages) with its lookups (see `with_lookups`)."""
    fields = {"name": "大客户销售", "stages": b2b_stages() if stages is None else stages, **fields}
    return with_lookups((await mutate_ok(gql, account, "createPipeline", input=fields))["pipeline"])


async def create_opportunity(
    gql: GraphQL, account: Account, customer_id: str, **fields: Any
) -> dict[str, Any]:
    """A deal of the customer created with createOpportunity; returns the opportunity."""
    fields = {"customerId": customer_id, "name": "年度合同", **fields}
    return (await mutate_ok(gql, account, "createOpportunity", input=fields))["opportunity"]


async def move(
    gql: GraphQL, account: Account, deal_id: str, stage_id: str, lost_reason: str | None = None
) -> dict[str, Any]:
    """The moveOpportunity payload (errors not checked)."""
    return await mutate(
        gql, account, "moveOpportunity", id=deal_id, stageId=stage_id, lostReason=lost_reason
    )


async def move_ok(gql: GraphQL, account: Account, deal_id: str, stage_id: str, **kw: Any) -> None:
    payload = await move(gql, account, deal_id, stage_id, **kw)
    assert payload["errors"] == [], payload["errors"]


async def tick(
    gql: GraphQL, account: Account, deal_id: str, item_id: str, done: bool = True
) -> dict[str, Any]:
    """The setChecklistItem payload (errors not checked)."""
    return await mutate(
        gql, account, "setChecklistItem", opportunityId=deal_id, itemId=item_id, done=done
    )


async def tick_ok(gql: GraphQL, account: Account, deal_id: str, *item_ids: str) -> None:
    for item_id in item_ids:
        payload = await tick(gql, account, deal_id, item_id)
        assert payload["errors"] == [], payload["errors"]
