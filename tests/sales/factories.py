"""Builders for the sales tests, through the public API."""

from __future__ import annotations

import uuid
from typing import Any

from tests.helpers import Account, GraphQL

CREATE_PRODUCT = """
mutation($input: ProductInput!) {
  createProduct(input: $input) { product { id unitPrice currency } errors { field message code } }
}
"""
PIPELINES = """
{ pipelines { id isDefault stages { id name kind probability } } }
"""


async def create_product(
    gql: GraphQL, account: Account, unit_price: str = "99.99", **fields: Any
) -> dict[str, Any]:
    fields = {"name": f"产品 {uuid.uuid4().hex[:6]}", "unitPrice": unit_price, **fields}
    result = await gql.execute(CREATE_PRODUCT, {"input": fields}, account.token)
    payload = result.ok()["createProduct"]
    assert payload["errors"] == [], payload["errors"]
    return payload["product"]


async def default_pipeline(gql: GraphQL, account: Account) -> dict[str, Any]:
    """The default pipeline with its stages by name."""
    pipelines = (await gql.execute(PIPELINES, token=account.token)).ok()["pipelines"]
    pipeline = next(p for p in pipelines if p["isDefault"])
    return {**pipeline, "by_name": {stage["name"]: stage for stage in pipeline["stages"]}}
