"""Migration 0008: phones stored under the old rule are normalized again, the rest untouched."""

import importlib
from types import SimpleNamespace

from tortoise import connections

from models import Contact, Customer
from tests.factories import create_contact, create_customer, pk
from tests.helpers import GraphQL

migration = importlib.import_module("models.migrations.0008_phone_trunk_prefix")


async def test_old_normalized_phones_are_corrected_and_others_left_alone(gql: GraphQL, workspace):
    # given: a landline and a mobile in international form, stored as the old rule had them
    landline = pk((await create_customer(gql, workspace, phone="+86 21 6888 1234"))["id"])
    mobile = pk((await create_customer(gql, workspace, phone="+86 138 0013 8000"))["id"])
    contact = pk(
        (
            await create_contact(
                gql,
                workspace,
                (await create_customer(gql, workspace))["id"],
                phone="+86 10 8765 4321",
            )
        )["id"]
    )
    await Customer.filter(id=landline).update(phone_normalized="2168881234")
    await Contact.filter(id=contact).update(phone_normalized="1087654321")
    before = await Customer.get(id=landline)

    # when
    client = connections.get("default")
    await migration.renormalize_phones(None, SimpleNamespace(client=client))

    # then: they match the numbers as dialled in China; the mobile and the typed phones stay
    corrected = await Customer.get(id=landline)
    assert corrected.phone_normalized == "02168881234"
    assert corrected.phone == "+86 21 6888 1234"
    assert corrected.updated_at == before.updated_at
    assert (await Contact.get(id=contact)).phone_normalized == "01087654321"
    assert (await Customer.get(id=mobile)).phone_normalized == "13800138000"


async def test_the_migration_reads_in_pages(gql: GraphQL, workspace, monkeypatch):
    # given: more stale phones than one page holds
    ids = [
        pk((await create_customer(gql, workspace, phone=f"+86 21 6888 12{i}"))["id"])
        for i in range(5)
    ]
    await Customer.filter(id__in=ids).update(phone_normalized="stale")
    monkeypatch.setattr(migration, "PAGE", 2)

    # when
    await migration.renormalize_phones(None, SimpleNamespace(client=connections.get("default")))

    # then
    stored = (
        await Customer.filter(id__in=ids).order_by("id").values_list("phone_normalized", flat=True)
    )
    assert stored == [f"021688812{i}" for i in range(5)]
