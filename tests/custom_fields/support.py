"""Defining custom fields through the public API, for the custom field tests and others."""

from __future__ import annotations

from typing import Any

from tests.helpers import Account, GraphQL

DEFINE_CUSTOM_FIELD = """
mutation DefineCustomField($input: CustomFieldInput!) {
  defineCustomField(input: $input) {
    customField { id entity key label type options required position }
    errors { field message code }
  }
}
"""


async def define(
    gql: GraphQL, account: Account, entity: str, key: str, type: str = "TEXT", **fields: Any
) -> dict[str, Any]:
    """A custom field of the account's workspace (the account must be an ADMIN)."""
    fields = {"entity": entity, "key": key, "label": key.replace("_", " ").title(), **fields}
    fields["type"] = type
    if type in ("SELECT", "MULTI_SELECT"):
        fields.setdefault("options", ["A", "B", "C"])
    result = await gql.execute(DEFINE_CUSTOM_FIELD, {"input": fields}, account.token)
    payload = result.ok()["defineCustomField"]
    assert payload["errors"] == [], payload["errors"]
    return payload["customField"]


def problems(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]
