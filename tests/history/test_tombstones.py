"""A deleted record leaves a tombstone (what, which, whose customer, who, when); a deleted
customer leaves one for itself and each contact, activity and deal that went with it."""

from datetime import UTC, datetime

from api.core.ids import to_global_id
from models import Activity, Contact, FieldChange, Opportunity, Tombstone
from models.enums import ChangedEntity, ChangeSource
from tests.customers.mutations.test_delete_customer import (
    DELETE_CUSTOMER,
    customer_with_everything,
)
from tests.factories import create_customer, pk, workspace_pk
from tests.helpers import GraphQL, count_queries

DELETE_CONTACT = """
mutation($id: ID!) { deleteContact(id: $id) { deletedId errors { field message code } } }
"""


async def test_a_deleted_customer_leaves_tombstones_for_all_that_went_with_it(
    gql: GraphQL, workspace
):
    # given: two contacts, a deal, an activity
    customer_id = await customer_with_everything(gql, workspace)
    customer = pk(customer_id)
    contacts = sorted(c.id for c in await Contact.filter(customer_id=customer))
    deals = [o.id for o in await Opportunity.filter(customer_id=customer)]
    activities = [a.id for a in await Activity.filter(customer_id=customer)]
    started = datetime.now(UTC)

    # when
    with count_queries() as statements:
        result = await gql.execute(DELETE_CUSTOMER, {"id": customer_id}, workspace.token)
    assert result.ok()["deleteCustomer"]["errors"] == []

    # then
    stones = await Tombstone.filter(customer_id=customer).order_by("id")
    assert sorted((s.entity, s.entity_id) for s in stones) == sorted(
        [(ChangedEntity.CUSTOMER, customer)]
        + [(ChangedEntity.CONTACT, c) for c in contacts]
        + [(ChangedEntity.ACTIVITY, a) for a in activities]
        + [(ChangedEntity.OPPORTUNITY, o) for o in deals]
    )
    for stone in stones:
        assert stone.workspace_id == await workspace_pk(workspace)
        assert stone.user_id == pk(workspace.user_id)
        assert stone.source == ChangeSource.API
        assert stone.deleted_at >= started
    # set-based: all of them in one INSERT
    assert len([s for s in statements if "tombstone" in s.lower()]) == 1


async def test_a_deleted_contact_leaves_a_tombstone_and_hands_over_primary(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace, contacts=[{"name": "王伟"}, {"name": "李娜"}])
    primary, other = await Contact.filter(customer_id=pk(customer["id"])).order_by("id")
    assert primary.is_primary

    # when
    result = await gql.execute(
        DELETE_CONTACT, {"id": to_global_id("Contact", primary.id)}, workspace.token
    )
    assert result.ok()["deleteContact"]["errors"] == []

    # then
    stone = await Tombstone.get(entity=ChangedEntity.CONTACT, entity_id=primary.id)
    assert stone.customer_id == pk(customer["id"])
    handed = await FieldChange.filter(
        entity_id=other.id, entity=ChangedEntity.CONTACT, field="isPrimary"
    )
    assert [(change.old_value, change.new_value) for change in handed] == [(False, True)]
