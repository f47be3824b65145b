"""A customer keeps exactly one primary contact, and contact changes count as customer changes."""

from tests.documents import document
from tests.helpers import Account, GraphQL

DELETE_CONTACT = """
mutation($id: ID!) { deleteContact(id: $id) { deletedId errors { field code } } }
"""
UPDATE_CONTACT = """
mutation($id: ID!, $input: ContactPatch!) {
  updateContact(id: $id, input: $input) { contact { id } errors { field code } }
}
"""
CUSTOMER = """
query($id: ID!) {
  customer(id: $id) { updatedAt contacts { edges { node { name isPrimary } } } }
}
"""


async def _customer_with_contacts(gql: GraphQL, account: Account) -> dict:
    result = await gql.execute(
        document("createCustomer"),
        {
            "input": {
                "name": "华信咨询",
                "contacts": [{"name": "李娜"}, {"name": "张强"}, {"name": "王芳"}],
            }
        },
        account.token,
    )
    return result.ok()["createCustomer"]["customer"]


async def test_deleting_the_primary_contact_promotes_the_oldest_remaining(
    gql: GraphQL, workspace: Account
):
    # given
    customer = await _customer_with_contacts(gql, workspace)
    primary = customer["contacts"]["edges"][0]["node"]
    assert (primary["name"], primary["isPrimary"]) == ("李娜", True)

    # when
    result = await gql.execute(DELETE_CONTACT, {"id": primary["id"]}, workspace.token)

    # then
    assert result.ok()["deleteContact"] == {"deletedId": primary["id"], "errors": []}
    after = (await gql.execute(CUSTOMER, {"id": customer["id"]}, workspace.token)).ok()
    contacts = [e["node"] for e in after["customer"]["contacts"]["edges"]]
    assert contacts == [
        {"name": "张强", "isPrimary": True},
        {"name": "王芳", "isPrimary": False},
    ]


async def test_changing_a_contact_moves_the_customers_updated_at(gql: GraphQL, workspace: Account):
    # given
    customer = await _customer_with_contacts(gql, workspace)
    contact = customer["contacts"]["edges"][2]["node"]

    # when
    result = await gql.execute(
        UPDATE_CONTACT, {"id": contact["id"], "input": {"title": "财务总监"}}, workspace.token
    )

    # then
    assert result.ok()["updateContact"]["errors"] == []
    after = (await gql.execute(CUSTOMER, {"id": customer["id"]}, workspace.token)).ok()
    assert after["customer"]["updatedAt"] > customer["updatedAt"]
