"""Imports never merge two records silently: rows whose keys disagree, keys several records
share, and rows of one file that contradict each other fail with a CONFLICT naming the
records, for customers, contacts and deals alike; matches are counted per key."""

from __future__ import annotations

import pytest

from domain.custom_fields import CustomFieldData, define_custom_field
from domain.customers import ContactData, create_contact
from domain.errors import ErrorCode
from domain.imports.cells import ChunkResult, RowFailure
from domain.imports.contact_rows import apply_contact_rows
from domain.imports.customer_rows import apply_customer_rows
from domain.imports.mapping import DEFAULT_MATCH_ON
from domain.imports.opportunity_rows import apply_opportunity_rows
from domain.opportunities import OpportunityData, create_opportunity
from domain.viewer import Viewer
from models import Contact, Customer, Opportunity
from models.enums import CustomFieldEntity, CustomFieldType, ImportKind, ImportMode
from tests.factories import domain_customer, viewer_of
from tests.helpers import Account
from tests.imports.kinds import apply_rows

CUSTOMER_DEFAULTS = DEFAULT_MATCH_ON[ImportKind.CUSTOMERS]  # externalId, email, phone


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    return await viewer_of(workspace)


async def customers(viewer: Viewer) -> list[tuple[str, str | None, str | None]]:
    stored = Customer.filter(workspace_id=viewer.workspace_id).order_by("id")
    return [(c.name, c.external_id, c.phone_normalized) for c in await stored]


def only_failure(result: ChunkResult) -> RowFailure:
    (failure,) = result.failures
    return failure


# ---------------------------------------------------------------- customers: the seen cases


async def test_two_external_ids_sharing_a_phone_stay_apart(viewer: Viewer):
    # given: the defaults, UPSERT on externalId, email, phone
    rows = [
        {"name": "云帆科技", "externalId": "C-1", "phone": "021-6888 1234"},
        {"name": "云帆物流", "externalId": "C-2", "phone": "021 68881234"},
    ]

    # when
    result = await apply_rows(apply_customer_rows, viewer, rows, match_on=CUSTOMER_DEFAULTS)

    # then: the second row is not the first's customer with its external id replaced
    assert (result.created, result.updated) == (1, 0)
    failure = only_failure(result)
    assert (failure.row, failure.field, failure.code) == (2, "externalId", ErrorCode.CONFLICT)
    assert "“云帆科技” (external id “C-1”, created by row 1)" in failure.message
    assert "“C-2”" in failure.message
    assert await customers(viewer) == [("云帆科技", "C-1", "02168881234")]


async def test_one_external_id_twice_in_a_file_never_overwrites_the_first_row(viewer: Viewer):
    # given
    rows = [
        {"name": "云帆科技", "externalId": "C-1", "industry": "软件"},
        # the same customer again, adding a contact and a cell the first left blank: fine
        {"externalId": "C-1", "website": "yunfan.cn", "contact.name": "李娜"},
        # the same external id with another name and industry: another row's data, not an edit
        {"name": "云帆物流", "externalId": "C-1", "industry": "物流"},
    ]

    # when
    result = await apply_rows(apply_customer_rows, viewer, rows, match_on=CUSTOMER_DEFAULTS)

    # then
    assert (result.created, result.updated) == (1, 1)
    assert {(f.row, f.field, f.code) for f in result.failures} == {
        (3, "name", ErrorCode.CONFLICT),
        (3, "industry", ErrorCode.CONFLICT),
    }
    assert all("Row 1 of this file" in f.message for f in result.failures)
    (stored,) = await Customer.filter(workspace_id=viewer.workspace_id)
    assert (stored.name, stored.industry, stored.website) == ("云帆科技", "软件", "yunfan.cn")
    assert [c.name for c in await Contact.filter(customer_id=stored.id)] == ["李娜"]


async def test_rows_of_one_file_may_set_different_custom_fields_but_not_change_one(
    viewer: Viewer,
):
    # given
    for key in ("level", "region"):
        await define_custom_field(
            viewer, CustomFieldData(CustomFieldEntity.CUSTOMER, key, key, CustomFieldType.TEXT)
        )

    # when
    result = await apply_rows(
        apply_customer_rows,
        viewer,
        [
            {"name": "云帆", "externalId": "C-1", "customFields.level": "A"},
            {"externalId": "C-1", "customFields.region": "华东"},
            {"externalId": "C-1", "customFields.level": "B"},
        ],
        match_on=CUSTOMER_DEFAULTS,
    )

    # then
    failure = only_failure(result)
    assert (failure.row, failure.field, failure.code) == (
        3,
        "customFields.level",
        ErrorCode.CONFLICT,
    )
    assert "“A”, this row “B”" in failure.message
    (stored,) = await Customer.filter(workspace_id=viewer.workspace_id)
    assert stored.custom_fields == {"level": "A", "region": "华东"}


# ---------------------------------------------------------------- customers: stored records


async def test_keys_naming_two_stored_customers_fail_the_row_naming_both(viewer: Viewer):
    # given: A has the external id, B the phone
    await domain_customer(viewer, "甲公司", external_id="A-1")
    await domain_customer(viewer, "乙公司", phone="13900000001")

    # when: in any mode, CREATE included
    for mode in ImportMode:
        result = await apply_rows(
            apply_customer_rows,
            viewer,
            [{"externalId": "A-1", "phone": "139 0000 0001", "industry": "制造"}],
            mode=mode,
            match_on=CUSTOMER_DEFAULTS,
        )

        # then
        failure = only_failure(result)
        assert (failure.field, failure.code) == ("phone", ErrorCode.CONFLICT)
        assert "“甲公司” (external id “A-1”)" in failure.message
        assert "“乙公司”" in failure.message
        assert (result.created, result.updated, result.skipped) == (0, 0, 0)
    assert await customers(viewer) == [("甲公司", "A-1", None), ("乙公司", None, "13900000001")]


async def test_a_row_may_not_replace_a_stored_external_id_but_may_give_one(viewer: Viewer):
    # given
    await domain_customer(viewer, "甲公司", phone="13900000001", external_id="A-1")
    await domain_customer(viewer, "乙公司", phone="13900000002")

    # when: each row's external id is unknown; its phone finds a customer
    result = await apply_rows(
        apply_customer_rows,
        viewer,
        [
            {"externalId": "NEW-1", "phone": "13900000001"},
            {"externalId": "NEW-2", "phone": "13900000002"},
        ],
        match_on=CUSTOMER_DEFAULTS,
    )

    # then: 甲 keeps A-1 (the row is another record of the source); 乙, without one, takes it
    failure = only_failure(result)
    assert (failure.row, failure.field, failure.code) == (1, "externalId", ErrorCode.CONFLICT)
    assert "“甲公司” (external id “A-1”)" in failure.message and "“NEW-1”" in failure.message
    assert result.updated == 1
    assert result.matched_by == {"phone": 1}
    assert await customers(viewer) == [
        ("甲公司", "A-1", "13900000001"),
        ("乙公司", "NEW-2", "13900000002"),
    ]


async def test_a_key_several_stored_customers_share_is_ambiguous(viewer: Viewer):
    # given: two customers share a switchboard number
    await domain_customer(viewer, "甲公司", phone="02168881234")
    await domain_customer(viewer, "乙公司", phone="02168881234", external_id="B-1")

    # when
    result = await apply_rows(
        apply_customer_rows,
        viewer,
        [{"name": "丙公司", "phone": "021-6888 1234"}],
        match_on=CUSTOMER_DEFAULTS,
    )

    # then: neither is picked, and no third one is made
    failure = only_failure(result)
    assert (failure.field, failure.code) == ("phone", ErrorCode.CONFLICT)
    assert failure.message.startswith("Ambiguous: 2 records have phone “02168881234”")
    assert "“甲公司”" in failure.message and "“乙公司” (external id “B-1”)" in failure.message
    assert len(await customers(viewer)) == 2


async def test_matches_are_counted_per_key(viewer: Viewer):
    # given
    await domain_customer(viewer, "甲", external_id="A-1", email="a@example.com")
    await domain_customer(viewer, "乙", email="b@example.com")
    await domain_customer(viewer, "丙", phone="13900000003")
    rows = [
        {"externalId": "A-1", "email": "a@example.com", "industry": "软件"},  # both: A
        {"email": "B@example.com", "industry": "软件"},
        {"phone": "13900000003", "industry": "软件"},
        {"name": "丁", "phone": "13900000004"},  # new
        {"phone": "13900000004", "industry": "软件"},  # the new one, by an earlier row
    ]

    # when
    upserted = await apply_rows(apply_customer_rows, viewer, rows, match_on=CUSTOMER_DEFAULTS)

    # then: each row counts once, under the first field of matchOn that found its record
    assert upserted.failures == []
    assert (upserted.created, upserted.updated) == (1, 4)
    assert upserted.matched_by == {"externalId": 1, "email": 1, "phone": 2}

    # when: CREATE skips what matches, and says by what
    created = await apply_rows(
        apply_customer_rows, viewer, rows[:3], mode=ImportMode.CREATE, match_on=CUSTOMER_DEFAULTS
    )

    # then
    assert (created.created, created.skipped) == (0, 3)
    assert created.matched_by == {"externalId": 1, "email": 1, "phone": 1}


async def test_a_customer_rows_contact_cells_name_one_contact_and_never_overwrite(
    viewer: Viewer,
):
    # given
    firm = await domain_customer(viewer, "云帆", external_id="Y")
    await create_contact(viewer, firm.id, ContactData(name="王伟", phone="13900000001"))
    await create_contact(viewer, firm.id, ContactData(name="李娜", email="li@yf.cn"))

    # when
    result = await apply_rows(
        apply_customer_rows,
        viewer,
        [
            {"externalId": "Y", "contact.phone": "13900000001", "contact.email": "li@yf.cn"},
            {"externalId": "Y", "contact.phone": "13900000001", "contact.title": "经理"},
            {"externalId": "Y", "contact.phone": "139 0000 0001", "contact.title": "总监"},
        ],
        match_on=CUSTOMER_DEFAULTS,
    )

    # then
    assert {(f.row, f.field, f.code) for f in result.failures} == {
        (1, "contact.email", ErrorCode.CONFLICT),
        (3, "contact.title", ErrorCode.CONFLICT),
    }
    messages = {f.row: f.message for f in result.failures}
    assert "contact “王伟”" in messages[1] and "contact “李娜”" in messages[1]
    contacts = Contact.filter(customer_id=firm.id).order_by("id")
    assert [(c.name, c.email, c.title) for c in await contacts] == [
        ("王伟", None, "经理"),
        ("李娜", "li@yf.cn", None),
    ]


# ---------------------------------------------------------------- contacts


async def test_contact_keys_naming_two_contacts_or_shared_by_two_fail_the_row(viewer: Viewer):
    # given
    firm = await domain_customer(viewer, "云帆", external_id="Y")
    await create_contact(viewer, firm.id, ContactData(name="王伟", email="w@yf.cn"))
    await create_contact(viewer, firm.id, ContactData(name="李娜", phone="13900000001"))
    await create_contact(viewer, firm.id, ContactData(name="前台甲", email="desk@yf.cn"))
    await create_contact(viewer, firm.id, ContactData(name="前台乙", email="desk@yf.cn"))

    # when
    result = await apply_rows(
        apply_contact_rows,
        viewer,
        [
            {"customer.externalId": "Y", "email": "w@yf.cn", "phone": "13900000001"},
            {"customer.externalId": "Y", "email": "desk@yf.cn", "title": "前台"},
            {"customer.externalId": "Y", "email": "w@yf.cn", "title": "经理"},
            {"customer.externalId": "Y", "email": "W@yf.cn", "title": "总监"},
        ],
        match_on=("email", "phone"),
    )

    # then
    assert {(f.row, f.field, f.code) for f in result.failures} == {
        (1, "phone", ErrorCode.CONFLICT),
        (2, "email", ErrorCode.CONFLICT),
        (4, "title", ErrorCode.CONFLICT),
    }
    messages = {f.row: f.message for f in result.failures}
    assert "contact “王伟”" in messages[1] and "contact “李娜”" in messages[1]
    assert messages[2].startswith("Ambiguous: 2 records have email “desk@yf.cn”")
    assert messages[4].startswith(
        "Row 3 of this file gave this contact title “经理”, this row “总监”"
    )
    assert (result.updated, result.matched_by) == (1, {"email": 1})
    titles = {c.name: c.title for c in await Contact.filter(customer_id=firm.id)}
    assert titles == {"王伟": "经理", "李娜": None, "前台甲": None, "前台乙": None}


async def test_a_row_links_to_one_customer_never_to_a_pick(viewer: Viewer):
    # given: two customers share a switchboard number; a third has its own
    shared_a = await domain_customer(viewer, "甲公司", phone="02168881234", external_id="A-1")
    await domain_customer(viewer, "乙公司", phone="02168881234")
    await domain_customer(viewer, "丙公司", phone="13900000003")

    # when
    result = await apply_rows(
        apply_contact_rows,
        viewer,
        [
            {"customer.phone": "021-6888 1234", "name": "王伟"},
            {"customer.externalId": "A-1", "customer.phone": "021-6888 1234", "name": "李娜"},
            {"customer.externalId": "A-1", "customer.phone": "13900000003", "name": "赵六"},
        ],
        match_on=("email", "phone"),
    )

    # then: the shared phone names nobody alone; with the external id it is 甲's; a phone
    # of another customer beside 甲's external id names two
    assert {(f.row, f.field, f.code) for f in result.failures} == {
        (1, "customer.phone", ErrorCode.CONFLICT),
        (3, "customer.phone", ErrorCode.CONFLICT),
    }
    messages = {f.row: f.message for f in result.failures}
    assert messages[1].startswith("2 customers have phone")
    assert "“甲公司”" in messages[3] and "“丙公司”" in messages[3]
    contacts = await Contact.filter(workspace_id=viewer.workspace_id)
    assert [(c.name, c.customer_id) for c in contacts] == [("李娜", shared_a.id)]


# ---------------------------------------------------------------- deals


async def test_deal_keys_that_disagree_or_are_shared_fail_the_row(viewer: Viewer):
    # given
    firm = await domain_customer(viewer, "云帆")
    await apply_rows(
        apply_opportunity_rows,
        viewer,
        [
            {"customer.name": "云帆", "externalId": "D-1", "name": "一期"},
            {"customer.name": "云帆", "externalId": "D-2", "name": "二期"},
        ],
        match_on=("externalId", "name"),
    )
    for _ in range(2):
        await create_opportunity(viewer, OpportunityData(customer_id=firm.id, name="续约"))

    # when
    result = await apply_rows(
        apply_opportunity_rows,
        viewer,
        [
            # D-1's external id, 二期's name: two deals
            {"customer.name": "云帆", "externalId": "D-1", "name": "二期", "amount": "1"},
            # an unknown external id, but the name is D-2's: not D-2 renumbered
            {"customer.name": "云帆", "externalId": "D-9", "name": "二期", "amount": "2"},
            # two deals are named so
            {"customer.name": "云帆", "name": "续约", "amount": "3"},
            # a fine update, then a row contradicting it
            {"customer.name": "云帆", "externalId": "D-1", "amount": "4"},
            {"customer.name": "云帆", "externalId": "D-1", "amount": "5"},
        ],
        match_on=("externalId", "name"),
    )

    # then
    assert {(f.row, f.field, f.code) for f in result.failures} == {
        (1, "name", ErrorCode.CONFLICT),
        (2, "externalId", ErrorCode.CONFLICT),
        (3, "name", ErrorCode.CONFLICT),
        (5, "amount", ErrorCode.CONFLICT),
    }
    messages = {f.row: f.message for f in result.failures}
    assert "deal “一期” (external id “D-1”)" in messages[1] and "deal “二期”" in messages[1]
    assert messages[3].startswith("Ambiguous: 2 records have name “续约”: deal “续约”; deal “续约”")
    assert (result.created, result.updated, result.matched_by) == (0, 1, {"externalId": 1})
    stored = Opportunity.filter(workspace_id=viewer.workspace_id).order_by("id")
    assert [(d.external_id, d.name, int(d.amount)) for d in await stored] == [
        ("D-1", "一期", 4),
        ("D-2", "二期", 0),
        (None, "续约", 0),
        (None, "续约", 0),
    ]
