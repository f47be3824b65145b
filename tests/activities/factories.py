"""Small builders for the activity and reminder tests; each goes through the public API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from api.core.ids import from_global_id
from tests.helpers import Account, GraphQL

CREATE_CUSTOMER = """
mutation($input: CustomerInput!) {
  createCustomer(input: $input) {
    customer { id contacts { edges { node { id name } } } }
    errors { field message code }
  }
}
"""
INVITE_USER = """
mutation($name: String!, $email: String!, $password: String!, $role: Role!) {
  inviteUser(name: $name, email: $email, password: $password, role: $role) {
    user { id }
    errors { field message code }
  }
}
"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token user { id } errors { field message code } }
}
"""
LOG_ACTIVITY = """
mutation($input: ActivityInput!) {
  logActivity(input: $input) {
    activity { id reminder { id status dueAt } }
    errors { field message code }
  }
}
"""
CREATE_OPPORTUNITY = """
mutation($input: OpportunityInput!) {
  createOpportunity(input: $input) { opportunity { id } errors { field message code } }
}
"""


def pk(global_id: str) -> int:
    return from_global_id(global_id)[1]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def instant(value: str | None) -> datetime | None:
    """A DateTime the API returned, as an aware datetime (compare instants, not strings)."""
    return None if value is None else datetime.fromisoformat(value)


async def create_customer(gql: GraphQL, account: Account, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", f"客户 {uuid.uuid4().hex[:6]}")
    result = await gql.execute(CREATE_CUSTOMER, {"input": fields}, account.token)
    payload = result.ok()["createCustomer"]
    assert payload["errors"] == [], payload["errors"]
    return payload["customer"]


async def invite(gql: GraphQL, admin: Account, role: str = "REP") -> Account:
    """A colleague in the admin's workspace, signed in with their own password."""
    email = f"{role.lower()}-{uuid.uuid4().hex[:10]}@example.com"
    password = "another horse battery"
    invited = await gql.execute(
        INVITE_USER,
        {"name": f"{role} 同事", "email": email, "password": password, "role": role},
        admin.token,
    )
    assert invited.ok()["inviteUser"]["errors"] == []
    login = (await gql.execute(LOGIN, {"email": email, "password": password})).ok()["login"]
    assert login["errors"] == [], login["errors"]
    return Account(login["token"], login["user"]["id"], email, password)


async def log_activity(
    gql: GraphQL, account: Account, customer_id: str, **fields: Any
) -> dict[str, Any]:
    """Logs a CALL for the customer (fields override the input) and returns the activity."""
    fields = {"customerId": customer_id, "kind": "CALL", "content": "电话沟通", **fields}
    result = await gql.execute(LOG_ACTIVITY, {"input": fields}, account.token)
    payload = result.ok()["logActivity"]
    assert payload["errors"] == [], payload["errors"]
    return payload["activity"]


async def create_opportunity(
    gql: GraphQL, account: Account, customer_id: str, **fields: Any
) -> dict[str, Any]:
    fields = {"customerId": customer_id, "name": "年度合同", **fields}
    result = await gql.execute(CREATE_OPPORTUNITY, {"input": fields}, account.token)
    payload = result.ok()["createOpportunity"]
    assert payload["errors"] == [], payload["errors"]
    return payload["opportunity"]
