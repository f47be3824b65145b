"""Customers, their contacts and activities, and custom field definitions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from domain.customers import CustomerData
from domain.customers import create_customer as create_domain_customer
from domain.viewer import Viewer
from models import Customer
from tests.factories.calls import mutate_ok
from tests.factories.ids import pk
from tests.helpers import Account, GraphQL


async def create_customer(gql: GraphQL, account: Account, **fields: Any) -> dict[str, Any]:
    """A customer created with createCustomer (fields are its input); returns the customer."""
    fields.setdefault("name", f"客户 {uuid.uuid4().hex[:6]}")
    return (await mutate_ok(gql, account, "createCustomer", input=fields))["customer"]


async def create_contact(
    gql: GraphQL, account: Account, customer_id: str, **fields: Any
) -> dict[str, Any]:
    fields = {"customerId": customer_id, "name": f"联系人 {uuid.uuid4().hex[:6]}", **fields}
    return (await mutate_ok(gql, account, "createContact", input=fields))["contact"]


async def log_activity(
    gql: GraphQL, account: Account, customer_id: str, **fields: Any
) -> dict[str, Any]:
    """Logs a CALL for the customer (fields override the input) and returns the activity."""
    fields = {"customerId": customer_id, "kind": "CALL", "content": "电话沟通", **fields}
    return (await mutate_ok(gql, account, "logActivity", input=fields))["activity"]


async def define_custom_field(
    gql: GraphQL, account: Account, entity: str, key: str, type: str = "TEXT", **fields: Any
) -> dict[str, Any]:
    """A custom field of the account's workspace (the account must be an ADMIN)."""
    fields = {"entity": entity, "key": key, "label": key.replace("_", " ").title(), **fields}
    fields["type"] = type
    if type in ("SELECT", "MULTI_SELECT"):
        fields.setdefault("options", ["A", "B", "C"])
    return (await mutate_ok(gql, account, "defineCustomField", input=fields))["customField"]


async def domain_customer(viewer: Viewer, name: str, **fields: Any) -> Customer:
    """A customer created by the domain (for tests below the API); fields are CustomerData's."""
    return await create_domain_customer(viewer, CustomerData(name=name, **fields))


async def force_customer_columns(customer_id: str, **columns: Any) -> None:
    """Writes a customer's columns straight to the table, past every rule: for state no
    client may set (a score, a last activity long ago…)."""
    assert await Customer.filter(id=pk(customer_id)).update(**columns) == 1


async def plan_follow_up(
    gql: GraphQL, account: Account, customer_id: str, occurred_at: datetime, due_at: datetime
) -> str:
    """A CALL at `occurred_at` whose follow-up is due at `due_at`: the account's pending
    reminder for the customer. Returns the reminder's id."""
    activity = await log_activity(
        gql,
        account,
        customer_id,
        occurredAt=occurred_at.isoformat(),
        nextFollowUpAt=due_at.isoformat(),
    )
    return activity["reminder"]["id"]
