"""deleteCustomer: the customer goes, with everything that hangs off it, and nothing else."""

from datetime import UTC, datetime, timedelta

from api.core.ids import to_global_id
from models import Activity, Contact, Customer, LineItem, Opportunity, Reminder
from tests.factories import create_customer, create_opportunity, log_activity, pk, workspace_pk
from tests.helpers import GraphQL

DELETE_CUSTOMER = """
mutation DeleteCustomer($id: ID!) {
  deleteCustomer(id: $id) {
    deletedId
    errors { field message code }
  }
}
"""
CUSTOMER = """
query Customer($id: ID!) { customer(id: $id) { id } }
"""
CUSTOMERS = """
query Customers($search: String) {
  customers(first: 10, filter: {search: $search}) { totalCount edges { node { id } } }
}
"""


def problems(payload: dict) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def customer_with_everything(gql: GraphQL, account) -> str:
    """A customer with two contacts, an opportunity with a line item and an activity that scheduled a reminder."""
    customer_id = (
        await create_customer(
            gql, account, name="云帆科技", contacts=[{"name": "王伟"}, {"name": "李娜"}]
        )
    )["id"]
    contact = await Contact.filter(customer_id=pk(customer_id)).order_by("id").first()
    assert contact is not None
    line = {"name": "CRM 专业版", "quantity": "2", "unitPrice": "500.00"}
    opportunity = await create_opportunity(
        gql, account, customer_id, name="年度订阅", lineItems=[line]
    )
    opportunity_id = opportunity["id"]
    await log_activity(
        gql,
        account,
        customer_id,
        contactId=to_global_id("Contact", contact.id),
        opportunityId=opportunity_id,
        nextFollowUpAt=(datetime.now(UTC) + timedelta(days=2)).isoformat(),
    )
    return customer_id


async def test_delete_customer_returns_its_id_and_removes_it(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]

    # when
    result = await gql.execute(DELETE_CUSTOMER, {"id": customer_id}, workspace.token)

    # then
    assert result.ok()["deleteCustomer"] == {"deletedId": customer_id, "errors": []}
    assert not await Customer.exists(id=pk(customer_id))
    read = await gql.execute(CUSTOMER, {"id": customer_id}, workspace.token)
    assert read.ok()["customer"] is None
    listed = (await gql.execute(CUSTOMERS, {}, workspace.token)).ok()["customers"]
    assert listed == {"totalCount": 0, "edges": []}


async def test_delete_customer_cascades_to_what_hangs_off_it(gql: GraphQL, workspace):
    # given
    customer_id = await customer_with_everything(gql, workspace)
    customer_pk = pk(customer_id)
    opportunity_pks = await Opportunity.filter(customer_id=customer_pk).values_list("id", flat=True)
    assert await Contact.filter(customer_id=customer_pk).count() == 2
    assert await Activity.filter(customer_id=customer_pk).count() == 1
    assert await Reminder.filter(customer_id=customer_pk).count() == 1
    assert await LineItem.filter(opportunity_id__in=opportunity_pks).count() == 1

    # when
    result = await gql.execute(DELETE_CUSTOMER, {"id": customer_id}, workspace.token)

    # then
    assert result.ok()["deleteCustomer"]["errors"] == []
    assert await Contact.filter(customer_id=customer_pk).count() == 0
    assert await Activity.filter(customer_id=customer_pk).count() == 0
    assert await Reminder.filter(customer_id=customer_pk).count() == 0
    assert await Opportunity.filter(customer_id=customer_pk).count() == 0
    assert await LineItem.filter(opportunity_id__in=opportunity_pks).count() == 0


async def test_delete_customer_leaves_other_customers_alone(gql: GraphQL, workspace):
    # given
    doomed = await customer_with_everything(gql, workspace)
    kept = await customer_with_everything(gql, workspace)

    # when
    result = await gql.execute(DELETE_CUSTOMER, {"id": doomed}, workspace.token)

    # then
    assert result.ok()["deleteCustomer"]["errors"] == []
    kept_pk = pk(kept)
    assert await Customer.exists(id=kept_pk)
    assert await Contact.filter(customer_id=kept_pk).count() == 2
    assert await Activity.filter(customer_id=kept_pk).count() == 1
    assert await Reminder.filter(customer_id=kept_pk).count() == 1
    assert await Opportunity.filter(customer_id=kept_pk).count() == 1
    listed = (await gql.execute(CUSTOMERS, {"search": "王伟"}, workspace.token)).ok()
    assert [edge["node"]["id"] for edge in listed["customers"]["edges"]] == [kept]


async def test_second_delete_is_not_found(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    await gql.execute(DELETE_CUSTOMER, {"id": customer_id}, workspace.token)

    # when
    result = await gql.execute(DELETE_CUSTOMER, {"id": customer_id}, workspace.token)

    # then
    payload = result.ok()["deleteCustomer"]
    assert payload["deletedId"] is None
    assert problems(payload) == [("id", "NOT_FOUND")]


async def test_malformed_or_mistyped_id_is_not_found(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace)

    for customer_id in ("garbage", workspace.user_id, to_global_id("Customer", 2**62)):
        # when
        result = await gql.execute(DELETE_CUSTOMER, {"id": customer_id}, workspace.token)

        # then
        payload = result.ok()["deleteCustomer"]
        assert payload["deletedId"] is None
        assert problems(payload) == [("id", "NOT_FOUND")]
    assert await Customer.filter(workspace_id=await workspace_pk(workspace)).count() == 1


async def test_another_workspaces_customer_cannot_be_deleted(
    gql: GraphQL, workspace, other_workspace
):
    # given
    theirs = await customer_with_everything(gql, other_workspace)

    # when
    result = await gql.execute(DELETE_CUSTOMER, {"id": theirs}, workspace.token)

    # then
    assert problems(result.ok()["deleteCustomer"]) == [("id", "NOT_FOUND")]
    assert await Customer.exists(id=pk(theirs))
    assert await Contact.filter(customer_id=pk(theirs)).count() == 2
