"""customer(id:) and node(id:): a workspace sees its own customers and contacts, nothing else."""

from api.core.ids import to_global_id
from models import Contact
from tests.factories import create_customer, pk
from tests.helpers import GraphQL

CUSTOMER = """
query Customer($id: ID!) {
  customer(id: $id) { id name owner { id } contacts { edges { node { id name } } } }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Customer { name }
    ... on Contact { name customer { id } }
  }
}
"""
DELETE_CUSTOMER = """
mutation DeleteCustomer($id: ID!) { deleteCustomer(id: $id) { deletedId errors { field } } }
"""


async def test_customer_by_id(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, name="云帆", contacts=[{"name": "王伟"}]))[
        "id"
    ]

    # when
    result = await gql.execute(CUSTOMER, {"id": customer_id}, workspace.token)

    # then
    customer = result.ok()["customer"]
    assert customer["id"] == customer_id
    assert customer["name"] == "云帆"
    assert customer["owner"] == {"id": workspace.user_id}
    assert [edge["node"]["name"] for edge in customer["contacts"]["edges"]] == ["王伟"]


async def test_another_workspaces_customer_is_null(gql: GraphQL, workspace, other_workspace):
    # given
    theirs = (await create_customer(gql, other_workspace, name="Theirs"))["id"]

    # when
    result = await gql.execute(CUSTOMER, {"id": theirs}, workspace.token)

    # then
    assert result.errors == []
    assert result.data == {"customer": None}


async def test_unknown_malformed_or_mistyped_id_is_null(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, contacts=[{"name": "王伟"}]))["id"]
    contact = await Contact.get(customer_id=pk(customer_id))

    for unknown in (
        to_global_id("Customer", 2**62),
        to_global_id("Customer", 2**64),
        "garbage",
        to_global_id("Contact", contact.id),
        workspace.user_id,
    ):
        # when
        result = await gql.execute(CUSTOMER, {"id": unknown}, workspace.token)

        # then
        assert result.errors == [], unknown
        assert result.data == {"customer": None}, unknown


async def test_deleted_customer_is_null(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    await gql.execute(DELETE_CUSTOMER, {"id": customer_id}, workspace.token)

    # when
    by_id = await gql.execute(CUSTOMER, {"id": customer_id}, workspace.token)
    as_node = await gql.execute(NODE, {"id": customer_id}, workspace.token)

    # then
    assert by_id.ok() == {"customer": None}
    assert as_node.ok() == {"node": None}


async def test_customer_needs_a_signed_in_viewer(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]

    # when
    result = await gql.execute(CUSTOMER, {"id": customer_id})

    # then: nothing of the customer, and why
    assert result.data in (None, {"customer": None})
    assert [error["extensions"]["code"] for error in result.errors] == ["UNAUTHENTICATED"]


async def test_node_resolves_a_customer(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, name="云帆"))["id"]

    # when
    result = await gql.execute(NODE, {"id": customer_id}, workspace.token)

    # then
    assert result.ok()["node"] == {"__typename": "Customer", "id": customer_id, "name": "云帆"}


async def test_node_resolves_a_contact(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, contacts=[{"name": "王伟"}]))["id"]
    contact_id = to_global_id("Contact", (await Contact.get(customer_id=pk(customer_id))).id)

    # when
    result = await gql.execute(NODE, {"id": contact_id}, workspace.token)

    # then
    assert result.ok()["node"] == {
        "__typename": "Contact",
        "id": contact_id,
        "name": "王伟",
        "customer": {"id": customer_id},
    }


async def test_node_of_another_workspace_is_null(gql: GraphQL, workspace, other_workspace):
    # given
    theirs = (await create_customer(gql, other_workspace, contacts=[{"name": "王伟"}]))["id"]
    their_contact = to_global_id("Contact", (await Contact.get(customer_id=pk(theirs))).id)

    for node_id in (theirs, their_contact):
        # when
        result = await gql.execute(NODE, {"id": node_id}, workspace.token)

        # then
        assert result.errors == []
        assert result.data == {"node": None}


async def test_node_with_an_unknown_or_malformed_id_is_null(gql: GraphQL, workspace):
    for node_id in ("garbage", to_global_id("Customer", 2**62), to_global_id("Nope", 1)):
        # when
        result = await gql.execute(NODE, {"id": node_id}, workspace.token)

        # then
        assert result.errors == [], node_id
        assert result.data == {"node": None}, node_id
