"""Every write that carries custom fields, behind one signature, so each rule is tried on all.

A write returns the (field, code) problems it met and the custom fields then stored.
Update writes first create their record, with the custom fields `initial` (default none).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tests.documents import document
from tests.factories import create_customer, create_opportunity
from tests.helpers import Account, GraphQL, problems

Outcome = tuple[list[tuple[str, str]], Any]


async def _run(gql: GraphQL, account: Account, document: str, variables: dict, name: str) -> dict:
    result = await gql.execute(document, variables, account.token)
    return result.ok()[name]


def _outcome(payload: dict, record: str) -> Outcome:
    found = payload[record]
    return problems(payload), None if found is None else found["customFields"]


async def create_customer_with(
    gql: GraphQL, account: Account, values: Any, initial: dict | None = None
) -> Outcome:
    variables = {"input": {"name": "云帆科技", "customFields": values}}
    payload = await _run(gql, account, document("createCustomer"), variables, "createCustomer")
    return _outcome(payload, "customer")


async def update_customer_with(
    gql: GraphQL, account: Account, values: Any, initial: dict | None = None
) -> Outcome:
    customer = await create_customer(gql, account, customFields=initial)
    variables = {"id": customer["id"], "input": {"customFields": values}}
    payload = await _run(gql, account, document("updateCustomer"), variables, "updateCustomer")
    return _outcome(payload, "customer")


async def create_contact_with(
    gql: GraphQL, account: Account, values: Any, initial: dict | None = None
) -> Outcome:
    customer = await create_customer(gql, account)
    variables = {"input": {"customerId": customer["id"], "name": "王伟", "customFields": values}}
    payload = await _run(gql, account, document("createContact"), variables, "createContact")
    return _outcome(payload, "contact")


async def contact_with_customer_with(
    gql: GraphQL, account: Account, values: Any, initial: dict | None = None
) -> Outcome:
    """A contact created inside createCustomer."""
    contacts = [{"name": "王伟", "customFields": values}]
    variables = {"input": {"name": "云帆科技", "contacts": contacts}}
    payload = await _run(gql, account, document("createCustomer"), variables, "createCustomer")
    if payload["customer"] is None:
        return problems(payload), None
    [edge] = payload["customer"]["contacts"]["edges"]
    return problems(payload), edge["node"]["customFields"]


async def update_contact_with(
    gql: GraphQL, account: Account, values: Any, initial: dict | None = None
) -> Outcome:
    contact = {"name": "王伟", "customFields": initial}
    customer = await create_customer(gql, account, contacts=[contact])
    contact_id = await _contact_id(gql, account, customer["id"])
    variables = {"id": contact_id, "input": {"customFields": values}}
    payload = await _run(gql, account, document("updateContact"), variables, "updateContact")
    return _outcome(payload, "contact")


async def _contact_id(gql: GraphQL, account: Account, customer_id: str) -> str:
    query = "query($id: ID!) { customer(id: $id) { contacts { edges { node { id } } } } }"
    data = (await gql.execute(query, {"id": customer_id}, account.token)).ok()
    return data["customer"]["contacts"]["edges"][0]["node"]["id"]


async def create_opportunity_with(
    gql: GraphQL, account: Account, values: Any, initial: dict | None = None
) -> Outcome:
    customer = await create_customer(gql, account)
    variables = {
        "input": {"customerId": customer["id"], "name": "年度合同", "customFields": values}
    }
    payload = await _run(
        gql, account, document("createOpportunity"), variables, "createOpportunity"
    )
    return _outcome(payload, "opportunity")


async def update_opportunity_with(
    gql: GraphQL, account: Account, values: Any, initial: dict | None = None
) -> Outcome:
    customer = await create_customer(gql, account)
    deal = await create_opportunity(gql, account, customer["id"], customFields=initial)
    variables = {"id": deal["id"], "input": {"customFields": values}}
    payload = await _run(
        gql, account, document("updateOpportunity"), variables, "updateOpportunity"
    )
    return _outcome(payload, "opportunity")


@dataclass(frozen=True)
class Write:
    name: str
    entity: str
    # Where the custom fields sit in the input: problems are reported at f"{prefix}.{key}".
    prefix: str
    run: Callable[..., Awaitable[Outcome]]
    creates: bool

    def __str__(self) -> str:
        return self.name


WRITES = [
    Write("createCustomer", "CUSTOMER", "input.customFields", create_customer_with, True),
    Write("updateCustomer", "CUSTOMER", "input.customFields", update_customer_with, False),
    Write("createContact", "CONTACT", "input.customFields", create_contact_with, True),
    Write(
        "createCustomer.contacts",
        "CONTACT",
        "input.contacts.0.customFields",
        contact_with_customer_with,
        True,
    ),
    Write("updateContact", "CONTACT", "input.customFields", update_contact_with, False),
    Write("createOpportunity", "OPPORTUNITY", "input.customFields", create_opportunity_with, True),
    Write("updateOpportunity", "OPPORTUNITY", "input.customFields", update_opportunity_with, False),
]
CREATES = [write for write in WRITES if write.creates]
UPDATES = [write for write in WRITES if not write.creates]
