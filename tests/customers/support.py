"""Setting the scene for customer tests: small helpers over the public API and the models."""

from __future__ import annotations

import uuid
from typing import Any

from api.core.ids import from_global_id, to_global_id
from models import Customer, User
from tests.helpers import Account, GraphQL

CREATE_CUSTOMER = """
mutation CreateCustomer($input: CustomerInput!) {
  createCustomer(input: $input) {
    customer { id }
    errors { field message code }
  }
}
"""
CREATE_CONTACT = """
mutation CreateContact($input: ContactInput!) {
  createContact(input: $input) {
    contact { id }
    errors { field message code }
  }
}
"""
LOG_ACTIVITY = """
mutation LogActivity($input: ActivityInput!) {
  logActivity(input: $input) {
    activity { id }
    errors { field message code }
  }
}
"""
INVITE_USER = """
mutation InviteUser($name: String!, $email: String!, $password: String!) {
  inviteUser(name: $name, email: $email, password: $password, role: REP) {
    user { id }
    errors { field message code }
  }
}
"""
CREATE_OPPORTUNITY = """
mutation CreateOpportunity($input: OpportunityInput!) {
  createOpportunity(input: $input) {
    opportunity { id }
    errors { field message code }
  }
}
"""


def pk(global_id: str) -> int:
    return from_global_id(global_id)[1]


def customer_gid(customer_pk: int) -> str:
    return to_global_id("Customer", customer_pk)


async def workspace_pk(account: Account) -> int:
    user = await User.get(id=pk(account.user_id))
    return user.workspace_id  # type: ignore[attr-defined]


async def _mutate(gql: GraphQL, document: str, name: str, variables: dict, token: str) -> Any:
    payload = (await gql.execute(document, variables, token)).ok()[name]
    assert payload["errors"] == [], payload["errors"]
    return payload


async def create_customer(gql: GraphQL, account: Account, **fields: Any) -> str:
    """A customer of the account's workspace; returns its global id."""
    fields.setdefault("name", f"Customer {uuid.uuid4().hex[:6]}")
    payload = await _mutate(
        gql, CREATE_CUSTOMER, "createCustomer", {"input": fields}, account.token
    )
    return payload["customer"]["id"]


async def create_contact(gql: GraphQL, account: Account, customer_id: str, **fields: Any) -> str:
    fields.setdefault("name", f"Contact {uuid.uuid4().hex[:6]}")
    variables = {"input": {"customerId": customer_id, **fields}}
    payload = await _mutate(gql, CREATE_CONTACT, "createContact", variables, account.token)
    return payload["contact"]["id"]


async def log_activity(gql: GraphQL, account: Account, customer_id: str, **fields: Any) -> str:
    fields.setdefault("kind", "CALL")
    fields.setdefault("content", "电话沟通")
    variables = {"input": {"customerId": customer_id, **fields}}
    payload = await _mutate(gql, LOG_ACTIVITY, "logActivity", variables, account.token)
    return payload["activity"]["id"]


async def create_opportunity(gql: GraphQL, account: Account, customer_id: str) -> str:
    line = {"name": "CRM 专业版", "quantity": "2", "unitPrice": "500.00"}
    variables = {"input": {"customerId": customer_id, "name": "年度订阅", "lineItems": [line]}}
    payload = await _mutate(gql, CREATE_OPPORTUNITY, "createOpportunity", variables, account.token)
    return payload["opportunity"]["id"]


async def new_colleague(gql: GraphQL, account: Account, name: str = "Bo 销售") -> str:
    """A REP invited into the account's workspace; returns the user's global id."""
    variables = {
        "name": name,
        "email": f"rep-{uuid.uuid4().hex[:10]}@example.com",
        "password": "correct horse battery",
    }
    payload = await _mutate(gql, INVITE_USER, "inviteUser", variables, account.token)
    return payload["user"]["id"]


async def set_customer(customer_id: str, **values: Any) -> None:
    """Writes columns no API sets directly (score, last activity…)."""
    assert await Customer.filter(id=pk(customer_id)).update(**values) == 1
