"""Two edits of one record at once: each keeps the custom fields the other wrote.

On PostgreSQL the row lock an update takes first makes it so; on SQLite, its one writer.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tortoise.models import Model
from tortoise.transactions import in_transaction

from api.core.ids import from_global_id
from domain.custom_fields import CustomFieldData, define_custom_field
from domain.customers import (
    ContactData,
    CustomerData,
    create_customer,
    update_contact,
    update_customer,
)
from domain.imports.contact_rows import apply_contact_rows
from domain.imports.customer_rows import apply_customer_rows
from domain.imports.opportunity_rows import apply_opportunity_rows
from domain.opportunities import OpportunityData, create_opportunity, update_opportunity
from domain.viewer import Viewer
from models import Contact, Customer, Opportunity, User
from models.enums import CustomFieldEntity, CustomFieldType, ImportMode, Role
from tests.helpers import Account

# Long enough for the edit under test to read the record, were it not waiting for it.
HEAD_START = 0.3


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    _, user_id = from_global_id(workspace.user_id)
    user = await User.get(id=user_id)
    return Viewer(workspace_id=user.workspace_id, role=Role.ADMIN, user_id=user.id)


async def _define(viewer: Viewer, entity: CustomFieldEntity) -> None:
    for key in ("region", "tier"):
        await define_custom_field(viewer, CustomFieldData(entity, key, key, CustomFieldType.TEXT))


async def _edit_during_another(
    model: type[Model], pk: int, edit: Callable[[], Awaitable[Any]]
) -> dict:
    """Runs `edit` (it sets "tier") while another transaction holds the record and sets
    "region"; returns the record's custom fields once both are done."""
    async with in_transaction() as other:
        held = await model.filter(id=pk).select_for_update().using_db(other).first()
        # A context of its own: not inside our transaction, as another request would be.
        editing = asyncio.create_task(edit(), context=contextvars.Context())
        await asyncio.sleep(HEAD_START)
        changed = {**held.custom_fields, "region": "华东"}
        await model.filter(id=pk).using_db(other).update(custom_fields=changed)
    await editing
    return (await model.get(id=pk)).custom_fields


async def test_a_customer_edited_twice_at_once_keeps_both_custom_fields(viewer: Viewer):
    # given
    await _define(viewer, CustomFieldEntity.CUSTOMER)
    customer = await create_customer(viewer, CustomerData(name="云帆科技"))

    # when
    fields = await _edit_during_another(
        Customer,
        customer.id,
        lambda: update_customer(viewer, customer.id, {"custom_fields": {"tier": "A"}}),
    )

    # then
    assert fields == {"region": "华东", "tier": "A"}


async def test_a_contact_edited_twice_at_once_keeps_both_custom_fields(viewer: Viewer):
    # given
    await _define(viewer, CustomFieldEntity.CONTACT)
    customer = await create_customer(
        viewer, CustomerData(name="云帆科技", contacts=[ContactData(name="王伟")])
    )
    contact = await Contact.get(customer_id=customer.id)

    # when
    fields = await _edit_during_another(
        Contact,
        contact.id,
        lambda: update_contact(viewer, contact.id, {"custom_fields": {"tier": "A"}}),
    )

    # then
    assert fields == {"region": "华东", "tier": "A"}


async def test_a_deal_edited_twice_at_once_keeps_both_custom_fields(viewer: Viewer):
    # given
    await _define(viewer, CustomFieldEntity.OPPORTUNITY)
    customer = await create_customer(viewer, CustomerData(name="云帆科技"))
    deal = await create_opportunity(viewer, OpportunityData(customer.id, "年度采购"))

    # when
    fields = await _edit_during_another(
        Opportunity,
        deal.id,
        lambda: update_opportunity(viewer, deal.id, {"custom_fields": {"tier": "A"}}),
    )

    # then
    assert fields == {"region": "华东", "tier": "A"}


async def test_an_import_and_an_edit_at_once_keep_both_custom_fields(viewer: Viewer):
    # given
    await _define(viewer, CustomFieldEntity.CUSTOMER)
    customer = await create_customer(viewer, CustomerData(name="云帆科技", external_id="C-1"))
    rows = [(1, {"externalId": "C-1", "customFields.tier": "A"})]

    async def import_chunk() -> None:
        async with in_transaction():
            result = await apply_customer_rows(
                viewer, rows, mode=ImportMode.UPSERT, match_on=["externalId"]
            )
        assert (result.updated, result.failures) == (1, [])

    # when: an UPSERT chunk matches the customer while an edit holds it
    fields = await _edit_during_another(Customer, customer.id, import_chunk)

    # then
    assert fields == {"region": "华东", "tier": "A"}


async def test_a_contact_import_and_an_edit_at_once_keep_both_custom_fields(viewer: Viewer):
    # given
    await _define(viewer, CustomFieldEntity.CONTACT)
    customer = await create_customer(
        viewer, CustomerData(name="云帆科技", external_id="C-1", contacts=[ContactData("王伟")])
    )
    contact = await Contact.get(customer_id=customer.id)
    rows = [(1, {"customer.externalId": "C-1", "name": "王伟", "customFields.tier": "A"})]

    async def import_chunk() -> None:
        async with in_transaction():
            result = await apply_contact_rows(
                viewer, rows, mode=ImportMode.UPSERT, match_on=["name"]
            )
        assert (result.updated, result.failures) == (1, [])

    # when: an UPSERT chunk matches the contact while an edit holds it
    fields = await _edit_during_another(Contact, contact.id, import_chunk)

    # then
    assert fields == {"region": "华东", "tier": "A"}


@pytest.mark.parametrize(
    ("match_on", "cells"),
    [("externalId", {"externalId": "D-1"}), ("name", {"name": "年度采购"})],
)
async def test_a_deal_import_and_an_edit_at_once_keep_both_custom_fields(
    viewer: Viewer, match_on: str, cells: dict[str, str]
):
    # given
    await _define(viewer, CustomFieldEntity.OPPORTUNITY)
    customer = await create_customer(viewer, CustomerData(name="云帆科技", external_id="C-1"))
    deal = await create_opportunity(viewer, OpportunityData(customer.id, "年度采购"))
    await Opportunity.filter(id=deal.id).update(external_id="D-1")
    rows = [(1, {"customer.externalId": "C-1", **cells, "customFields.tier": "A"})]

    async def import_chunk() -> None:
        async with in_transaction():
            result = await apply_opportunity_rows(
                viewer, rows, mode=ImportMode.UPSERT, match_on=[match_on]
            )
        assert (result.updated, result.failures) == (1, [])

    # when: an UPSERT chunk matches the deal while an edit holds it
    fields = await _edit_during_another(Opportunity, deal.id, import_chunk)

    # then
    assert fields == {"region": "华东", "tier": "A"}
