"""Workspaces are tenants: nothing of one is visible to, or changeable by, another."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.documents import document
from tests.helpers import Account, GraphQL

CREATE_PRODUCT = """
mutation { createProduct(input: {name: "云帆专业版", unitPrice: "1000.00"}) { product { id } errors { message } } }
"""
LOG_ACTIVITY = """
mutation Log($input: ActivityInput!) {
  logActivity(input: $input) { activity { id reminder { id } } errors { field message code } }
}
"""
UPDATE_CUSTOMER = """
mutation Update($id: ID!) {
  updateCustomer(id: $id, input: {name: "被篡改", tags: ["hacked"]}) {
    customer { id name } errors { field message code }
  }
}
"""
DELETE_CUSTOMER = """
mutation Delete($id: ID!) { deleteCustomer(id: $id) { deletedId errors { field message code } } }
"""
CREATE_CONTACT = """
mutation Create($customerId: ID!) {
  createContact(input: {customerId: $customerId, name: "卧底"}) {
    contact { id } errors { field message code }
  }
}
"""
UPDATE_CONTACT = """
mutation Update($id: ID!) {
  updateContact(id: $id, input: {name: "被篡改"}) { contact { id } errors { field message code } }
}
"""
DELETE_CONTACT = """
mutation Delete($id: ID!) { deleteContact(id: $id) { deletedId errors { field message code } } }
"""
CUSTOMER = """
query Customer($id: ID!) {
  customer(id: $id) {
    id name tags phone
    contacts { totalCount edges { node { id name } } }
    activities { totalCount edges { node { id content } } }
    opportunities { totalCount }
  }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { id __typename } }"
CUSTOMERS = """
query Customers($search: String) {
  customers(first: 100, filter: {search: $search}) { totalCount edges { node { id } } }
}
"""
LISTS = """
{
  opportunities(first: 100) { totalCount edges { node { id } } }
  reminders(first: 100, filter: {status: PENDING}) { totalCount edges { node { id } } }
  products(first: 100) { totalCount edges { node { id } } }
  pipelines { id stages { id } }
}
"""
WORKSPACE = "{ workspace { id } }"

FOREIGN_NAME = "租户甲的秘密客户"
FOREIGN_PHONE = "+86 138-0013-9999"


@dataclass
class Foreign:
    """The first workspace's records, as ids a second workspace might try."""

    account: Account
    customer: str
    contact: str
    opportunity: str
    activity: str
    reminder: str
    pipeline: str
    stage: str
    product: str
    workspace: str

    def id_of(self, type_name: str) -> str:
        return {
            "Customer": self.customer,
            "Contact": self.contact,
            "Opportunity": self.opportunity,
            "Activity": self.activity,
            "Reminder": self.reminder,
            "Pipeline": self.pipeline,
            "Stage": self.stage,
            "Product": self.product,
            "User": self.account.user_id,
            "Workspace": self.workspace,
        }[type_name]


async def _build_foreign(gql: GraphQL) -> Foreign:
    account = await gql.sign_up(workspace_name="租户甲")
    token = account.token
    created = (
        await gql.execute(
            document("createCustomer"),
            {
                "input": {
                    "name": FOREIGN_NAME,
                    "phone": FOREIGN_PHONE,
                    "tags": ["机密"],
                    "contacts": [{"name": "甲方联系人", "phone": "13900000001"}],
                }
            },
            token,
        )
    ).ok()["createCustomer"]
    assert created["errors"] == []
    customer = created["customer"]
    product = (await gql.execute(CREATE_PRODUCT, token=token)).ok()["createProduct"]["product"]
    opportunity = (
        await gql.execute(
            document("createOpportunity"),
            {"input": {"customerId": customer["id"], "name": "甲的商机", "amount": "5000"}},
            token,
        )
    ).ok()["createOpportunity"]
    assert opportunity["errors"] == []
    follow_up = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    activity = (
        await gql.execute(
            LOG_ACTIVITY,
            {
                "input": {
                    "customerId": customer["id"],
                    "kind": "CALL",
                    "content": "甲的通话记录",
                    "nextFollowUpAt": follow_up,
                }
            },
            token,
        )
    ).ok()["logActivity"]
    assert activity["errors"] == []
    workspace_id = (await gql.execute(WORKSPACE, token=token)).ok()["workspace"]["id"]
    return Foreign(
        account=account,
        customer=customer["id"],
        contact=customer["contacts"]["edges"][0]["node"]["id"],
        opportunity=opportunity["opportunity"]["id"],
        activity=activity["activity"]["id"],
        reminder=activity["activity"]["reminder"]["id"],
        pipeline=opportunity["opportunity"]["pipeline"]["id"],
        stage=opportunity["opportunity"]["stage"]["id"],
        product=product["id"],
        workspace=workspace_id,
    )


@pytest.fixture
async def foreign(gql: GraphQL) -> Foreign:
    """A workspace of its own for a test that tries to change it."""
    return await _build_foreign(gql)


@pytest.fixture(scope="module")
async def module_gql(server: str):
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=30) as http:
        yield GraphQL(http)


@pytest.fixture(scope="module")
async def seen(module_gql: GraphQL) -> Foreign:
    """A workspace shared by the read-only tests: they never change it."""
    return await _build_foreign(module_gql)


@pytest.fixture(scope="module")
async def stranger(module_gql: GraphQL) -> Account:
    """A second workspace, looking at `seen`."""
    return await module_gql.sign_up(workspace_name="租户乙")


async def _foreign_customer(gql: GraphQL, foreign: Foreign) -> dict:
    """The foreign customer as its own workspace sees it."""
    return (await gql.execute(CUSTOMER, {"id": foreign.customer}, foreign.account.token)).ok()[
        "customer"
    ]


def _codes(errors: list[dict]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in errors]


# ---------------------------------------------------------------- reads


async def test_customers_list_of_another_workspace_is_empty(
    gql: GraphQL, seen: Foreign, stranger: Account
):
    # given / when
    result = (await gql.execute(CUSTOMERS, {"search": None}, stranger.token)).ok()

    # then
    assert result["customers"] == {"totalCount": 0, "edges": []}


@pytest.mark.parametrize(
    "search",
    [FOREIGN_NAME, "秘密", "13800139999", "甲方联系人", "13900000001"],
    ids=["name", "part-of-name", "phone", "contact-name", "contact-phone"],
)
async def test_search_does_not_reach_into_another_workspace(
    gql: GraphQL, seen: Foreign, stranger: Account, search: str
):
    # given: the owner finds it
    own = (await gql.execute(CUSTOMERS, {"search": search}, seen.account.token)).ok()
    assert own["customers"]["totalCount"] == 1

    # when
    result = (await gql.execute(CUSTOMERS, {"search": search}, stranger.token)).ok()

    # then
    assert result["customers"] == {"totalCount": 0, "edges": []}


async def test_customer_by_foreign_id_is_null(gql: GraphQL, seen: Foreign, stranger: Account):
    # given / when
    result = await gql.execute(CUSTOMER, {"id": seen.customer}, stranger.token)

    # then
    assert result.ok() == {"customer": None}


@pytest.mark.parametrize(
    "type_name",
    [
        "Customer",
        "Contact",
        "Opportunity",
        "User",
        "Activity",
        "Reminder",
        "Pipeline",
        "Stage",
        "Product",
        "Workspace",
    ],
)
async def test_node_of_another_workspace_is_null(
    gql: GraphQL, seen: Foreign, stranger: Account, type_name: str
):
    # given: the id resolves for its own workspace
    global_id = seen.id_of(type_name)
    own = (await gql.execute(NODE, {"id": global_id}, seen.account.token)).ok()
    assert own["node"] == {"id": global_id, "__typename": type_name}

    # when
    result = await gql.execute(NODE, {"id": global_id}, stranger.token)

    # then
    assert result.ok() == {"node": None}


async def test_other_lists_of_another_workspace_show_nothing_of_it(
    gql: GraphQL, seen: Foreign, stranger: Account
):
    # given / when
    data = (await gql.execute(LISTS, token=stranger.token)).ok()

    # then
    assert data["opportunities"] == {"totalCount": 0, "edges": []}
    assert data["reminders"] == {"totalCount": 0, "edges": []}
    assert data["products"] == {"totalCount": 0, "edges": []}
    assert seen.pipeline not in {pipeline["id"] for pipeline in data["pipelines"]}
    stages = {stage["id"] for pipeline in data["pipelines"] for stage in pipeline["stages"]}
    assert seen.stage not in stages


# ---------------------------------------------------------------- writes


async def test_update_foreign_customer_is_not_found(
    gql: GraphQL, foreign: Foreign, workspace: Account
):
    # given
    before = await _foreign_customer(gql, foreign)

    # when
    payload = (await gql.execute(UPDATE_CUSTOMER, {"id": foreign.customer}, workspace.token)).ok()[
        "updateCustomer"
    ]

    # then
    assert payload["customer"] is None
    assert _codes(payload["errors"]) == [("id", "NOT_FOUND")]
    assert await _foreign_customer(gql, foreign) == before


async def test_delete_foreign_customer_is_not_found(
    gql: GraphQL, foreign: Foreign, workspace: Account
):
    # given
    before = await _foreign_customer(gql, foreign)

    # when
    payload = (await gql.execute(DELETE_CUSTOMER, {"id": foreign.customer}, workspace.token)).ok()[
        "deleteCustomer"
    ]

    # then
    assert payload["deletedId"] is None
    assert _codes(payload["errors"]) == [("id", "NOT_FOUND")]
    assert await _foreign_customer(gql, foreign) == before


async def test_create_contact_on_foreign_customer_is_not_found(
    gql: GraphQL, foreign: Foreign, workspace: Account
):
    # given
    before = await _foreign_customer(gql, foreign)

    # when
    payload = (
        await gql.execute(CREATE_CONTACT, {"customerId": foreign.customer}, workspace.token)
    ).ok()["createContact"]

    # then
    assert payload["contact"] is None
    assert _codes(payload["errors"]) == [("input.customerId", "NOT_FOUND")]
    assert await _foreign_customer(gql, foreign) == before


async def test_log_activity_on_foreign_customer_is_not_found(
    gql: GraphQL, foreign: Foreign, workspace: Account
):
    # given
    before = await _foreign_customer(gql, foreign)
    follow_up = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    variables = {
        "input": {
            "customerId": foreign.customer,
            "kind": "NOTE",
            "content": "越界的记录",
            "nextFollowUpAt": follow_up,
        }
    }

    # when
    payload = (await gql.execute(LOG_ACTIVITY, variables, workspace.token)).ok()["logActivity"]

    # then
    assert payload["activity"] is None
    assert ("input.customerId", "NOT_FOUND") in _codes(payload["errors"])
    assert await _foreign_customer(gql, foreign) == before


async def test_log_activity_with_foreign_contact_and_opportunity_is_not_found(
    gql: GraphQL, foreign: Foreign, workspace: Account
):
    # given: the viewer's own customer, but the other workspace's contact and deal
    own = (
        await gql.execute(
            document("createCustomer"), {"input": {"name": "自己的客户"}}, workspace.token
        )
    ).ok()["createCustomer"]["customer"]
    variables = {
        "input": {
            "customerId": own["id"],
            "contactId": foreign.contact,
            "opportunityId": foreign.opportunity,
            "kind": "CALL",
            "content": "call",
        }
    }

    # when
    payload = (await gql.execute(LOG_ACTIVITY, variables, workspace.token)).ok()["logActivity"]

    # then
    assert payload["activity"] is None
    assert sorted(_codes(payload["errors"])) == [
        ("input.contactId", "NOT_FOUND"),
        ("input.opportunityId", "NOT_FOUND"),
    ]


@pytest.mark.parametrize("document", [UPDATE_CONTACT, DELETE_CONTACT], ids=["update", "delete"])
async def test_change_foreign_contact_is_not_found(
    gql: GraphQL, foreign: Foreign, workspace: Account, document: str
):
    # given
    before = await _foreign_customer(gql, foreign)

    # when
    result = (await gql.execute(document, {"id": foreign.contact}, workspace.token)).ok()

    # then
    payload = next(iter(result.values()))
    assert _codes(payload["errors"]) == [("id", "NOT_FOUND")]
    assert await _foreign_customer(gql, foreign) == before


async def test_create_customer_owned_by_foreign_user_is_not_found(
    gql: GraphQL, foreign: Foreign, workspace: Account
):
    # given
    variables = {"input": {"name": "新客户", "ownerId": foreign.account.user_id}}

    # when
    payload = (await gql.execute(document("createCustomer"), variables, workspace.token)).ok()[
        "createCustomer"
    ]

    # then
    assert payload["customer"] is None
    assert _codes(payload["errors"]) == [("input.ownerId", "NOT_FOUND")]


async def test_create_opportunity_for_foreign_customer_is_not_found(
    gql: GraphQL, foreign: Foreign, workspace: Account
):
    # given
    variables = {"input": {"customerId": foreign.customer, "name": "越界商机"}}

    # when
    payload = (await gql.execute(document("createOpportunity"), variables, workspace.token)).ok()[
        "createOpportunity"
    ]

    # then
    assert payload["opportunity"] is None
    assert ("input.customerId", "NOT_FOUND") in _codes(payload["errors"])
    assert (await _foreign_customer(gql, foreign))["opportunities"]["totalCount"] == 1


async def test_dismiss_foreign_reminder_is_not_found(
    gql: GraphQL, foreign: Foreign, workspace: Account
):
    # given / when
    payload = (
        await gql.execute(document("dismissReminder"), {"id": foreign.reminder}, workspace.token)
    ).ok()["dismissReminder"]

    # then
    assert payload["reminder"] is None
    assert _codes(payload["errors"]) == [("id", "NOT_FOUND")]
    reminders = (await gql.execute(LISTS, token=foreign.account.token)).ok()["reminders"]
    assert reminders["edges"] == [{"node": {"id": foreign.reminder}}]


async def test_id_of_another_type_is_not_found(gql: GraphQL, foreign: Foreign):
    # given: a contact id where a customer id belongs, in the contact's own workspace
    before = await _foreign_customer(gql, foreign)

    # when
    payload = (
        await gql.execute(UPDATE_CUSTOMER, {"id": foreign.contact}, foreign.account.token)
    ).ok()["updateCustomer"]

    # then
    assert payload["customer"] is None
    assert _codes(payload["errors"]) == [("id", "NOT_FOUND")]
    assert await _foreign_customer(gql, foreign) == before
