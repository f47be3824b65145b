"""The customer row applier, on the real database: what lands, what is skipped, what fails."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from api.core.ids import from_global_id
from domain.custom_fields import CustomFieldData, define_custom_field
from domain.errors import ErrorCode
from domain.imports.cells import ChunkResult, RowFailure
from domain.imports.customer_rows import apply_customer_rows
from domain.viewer import Viewer
from models import Contact, Customer, User
from models.enums import CustomerKind, CustomFieldEntity, CustomFieldType, ImportMode, Role
from tests.helpers import Account, count_queries


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    _, user_id = from_global_id(workspace.user_id)
    user = await User.get(id=user_id)
    return Viewer(workspace_id=user.workspace_id, role=Role.ADMIN, user_id=user.id)


async def apply(
    viewer: Viewer,
    rows: list[dict[str, str | None]],
    *,
    mode: ImportMode = ImportMode.UPSERT,
    match_on: tuple[str, ...] = ("externalId", "email", "phone", "name"),
    first_row: int = 1,
) -> ChunkResult:
    numbered = list(enumerate(rows, start=first_row))
    async with in_transaction():
        return await apply_customer_rows(viewer, numbered, mode=mode, match_on=list(match_on))


async def customers(viewer: Viewer) -> list[Customer]:
    return await Customer.filter(workspace_id=viewer.workspace_id).order_by("id")


async def test_create_mode_creates_then_skips_what_exists(viewer: Viewer):
    # given
    rows = [
        {"name": "云帆科技", "phone": "+86 138-0013-8000", "externalId": "C-1"},
        {"name": "Acme Ltd", "email": "Sales@Acme.com"},
    ]

    # when
    first = await apply(viewer, rows, mode=ImportMode.CREATE)
    again = await apply(viewer, rows, mode=ImportMode.CREATE)

    # then
    assert (first.created, first.updated, first.skipped, first.failures) == (2, 0, 0, [])
    assert (again.created, again.updated, again.skipped) == (0, 0, 2)
    stored = await customers(viewer)
    assert [c.name for c in stored] == ["云帆科技", "Acme Ltd"]
    assert stored[0].phone_normalized == "13800138000"
    assert stored[0].external_id == "C-1"
    assert stored[1].email == "sales@acme.com"
    assert stored[0].kind == CustomerKind.COMPANY
    assert {c.owner_id for c in stored} == {viewer.user_id}


async def test_upsert_updates_matches_and_creates_the_rest(viewer: Viewer):
    # given
    await apply(viewer, [{"name": "A", "email": "a@x.com"}], mode=ImportMode.CREATE)

    # when
    result = await apply(
        viewer,
        [{"name": "A 新名", "email": "A@X.com"}, {"name": "B", "email": "b@x.com"}],
        mode=ImportMode.UPSERT,
        match_on=("email",),
    )

    # then
    assert (result.created, result.updated, result.skipped) == (1, 1, 0)
    assert [(c.name, c.email) for c in await customers(viewer)] == [
        ("A 新名", "a@x.com"),
        ("B", "b@x.com"),
    ]


async def test_update_mode_updates_matches_and_skips_the_rest(viewer: Viewer):
    # given
    await apply(viewer, [{"name": "A", "externalId": "E1"}], mode=ImportMode.CREATE)

    # when
    result = await apply(
        viewer,
        [{"externalId": "E1", "industry": "软件"}, {"externalId": "E2", "name": "B"}],
        mode=ImportMode.UPDATE,
        match_on=("externalId",),
    )

    # then
    assert (result.created, result.updated, result.skipped) == (0, 1, 1)
    stored = await customers(viewer)
    assert [(c.name, c.industry) for c in stored] == [("A", "软件")]


async def test_a_landline_matches_in_its_international_and_its_home_form(viewer: Viewer):
    # given: a Beijing number as dialled in China, and one in Shenzhen in international form
    await apply(viewer, [{"name": "星河贸易", "phone": "010-8765 4321"}], mode=ImportMode.CREATE)
    await apply(
        viewer, [{"name": "鹏城科技", "phone": "+86 755 8888 1234"}], mode=ImportMode.CREATE
    )

    # when: the other form of each number comes back in a file
    result = await apply(
        viewer,
        [
            {"name": "星河贸易（北京）", "phone": "+86 10 8765 4321"},
            {"name": "鹏城科技（深圳）", "phone": "0755-8888-1234"},
        ],
        match_on=("phone",),
    )

    # then: both are updates; nothing is duplicated
    assert (result.created, result.updated, result.failures) == (0, 2, [])
    assert [(c.name, c.phone_normalized) for c in await customers(viewer)] == [
        ("星河贸易（北京）", "01087654321"),
        ("鹏城科技（深圳）", "075588881234"),
    ]


async def test_match_fields_are_tried_in_order_and_must_agree(viewer: Viewer):
    # given: A has external id E1, B has the phone
    await apply(
        viewer,
        [{"name": "A", "externalId": "E1"}, {"name": "B", "phone": "13900000000"}],
        mode=ImportMode.CREATE,
    )

    # when
    result = await apply(
        viewer,
        [
            # both fields match, different customers: neither is picked
            {"externalId": "E1", "phone": "13900000000", "website": "a.example"},
            # the external id matches nobody: the phone decides, and B (with none) takes E9
            {"externalId": "E9", "phone": "139 0000 0000", "industry": "制造"},
            # names match whatever their case
            {"name": "a", "leadSource": "展会"},
        ],
        match_on=("externalId", "phone", "name"),
    )

    # then
    assert (result.created, result.updated) == (0, 2)
    (failure,) = result.failures
    assert (failure.row, failure.field, failure.code) == (1, "phone", ErrorCode.CONFLICT)
    assert "“A” (external id “E1”)" in failure.message and "“B”" in failure.message
    assert result.matched_by == {"phone": 1, "name": 1}
    a, b = await customers(viewer)
    assert (a.website, a.phone, a.lead_source) == (None, None, "展会")
    assert (b.industry, b.external_id) == ("制造", "E9")


async def test_blank_cells_never_erase(viewer: Viewer):
    # given
    full = {
        "name": "云帆",
        "phone": "13800138000",
        "email": "info@yunfan.cn",
        "website": "yunfan.cn",
        "industry": "软件",
        "leadSource": "官网",
        "tags": "VIP",
        "kind": "个人",
        "externalId": "Y-1",
    }
    await apply(viewer, [full], mode=ImportMode.CREATE)

    # when
    blank = dict.fromkeys(full, None) | {"externalId": "Y-1", "industry": "教育"}
    result = await apply(viewer, [blank], match_on=("externalId",))

    # then
    assert result.updated == 1
    (stored,) = await customers(viewer)
    assert stored.industry == "教育"
    assert (stored.name, stored.phone, stored.email, stored.website) == (
        "云帆",
        "13800138000",
        "info@yunfan.cn",
        "yunfan.cn",
    )
    assert (stored.lead_source, stored.tags, stored.kind) == ("官网", ["VIP"], CustomerKind.PERSON)


async def test_rows_of_one_chunk_match_each_other_but_never_overwrite_each_other(viewer: Viewer):
    # when
    result = await apply(
        viewer,
        [
            {"name": "云帆科技", "phone": "+86 138-0013-8000"},
            # the same customer, adding what the first row left blank
            {"name": "云帆科技", "phone": "13800138000", "industry": "软件"},
            # the same phone under another name: not the first row's customer renamed
            {"name": "云帆科技有限公司", "phone": "13800138000"},
        ],
        match_on=("phone",),
    )

    # then
    assert (result.created, result.updated) == (1, 1)
    (failure,) = result.failures
    assert (failure.row, failure.field, failure.code) == (3, "name", ErrorCode.CONFLICT)
    assert failure.message.startswith(
        "Row 1 of this file gave this customer name “云帆科技”, this row “云帆科技有限公司”"
    )
    (stored,) = await customers(viewer)
    assert (stored.name, stored.phone_normalized, stored.industry) == (
        "云帆科技",
        "13800138000",
        "软件",
    )


async def test_bad_rows_fail_with_their_fields_while_the_others_land(viewer: Viewer):
    # given
    await define_custom_field(
        viewer,
        CustomFieldData(CustomFieldEntity.CUSTOMER, "employees", "员工数", CustomFieldType.NUMBER),
    )

    # when
    result = await apply(
        viewer,
        [
            {"name": "好的一行", "email": "ok@x.com"},
            {"name": "坏邮箱", "email": "not-an-email"},
            {"name": "坏电话", "phone": "call me"},
            {"name": "坏类型", "kind": "机构"},
            {"name": "坏负责人", "owner": "nobody@example.com"},
            {"name": "坏字段", "customFields.employees": "很多"},
            {"name": None, "industry": "软件", "contact.email": "bad"},
            {"name": "另一行好的", "customFields.employees": "12"},
        ],
        mode=ImportMode.CREATE,
        first_row=10,
    )

    # then
    assert (result.created, result.skipped) == (2, 0)
    assert result.failed_rows == {11, 12, 13, 14, 15, 16}
    assert {(f.row, f.field) for f in result.failures} == {
        (11, "email"),
        (12, "phone"),
        (13, "kind"),
        (14, "owner"),
        (15, "customFields.employees"),
        (16, "contact.email"),
        (16, "contact.name"),
        (16, "name"),
    }
    assert all(isinstance(f, RowFailure) and f.message for f in result.failures)
    stored = await customers(viewer)
    assert [(c.name, c.custom_fields) for c in stored] == [
        ("好的一行", {}),
        ("另一行好的", {"employees": 12}),
    ]
    assert await Contact.filter(workspace_id=viewer.workspace_id).count() == 0


async def test_custom_field_text_is_typed_by_the_definition(viewer: Viewer):
    # given
    for key, kind, options in [
        ("amount", CustomFieldType.NUMBER, None),
        ("active", CustomFieldType.BOOLEAN, None),
        ("regions", CustomFieldType.MULTI_SELECT, ["华东", "华北", "华南"]),
        ("since", CustomFieldType.DATE, None),
        ("level", CustomFieldType.SELECT, ["A", "B"]),
    ]:
        await define_custom_field(
            viewer, CustomFieldData(CustomFieldEntity.CUSTOMER, key, key, kind, options)
        )

    # when
    result = await apply(
        viewer,
        [
            {
                "name": "甲",
                "customFields.amount": "1234.5",
                "customFields.active": "是",
                "customFields.regions": "华南，华东",
                "customFields.since": "2024-03-01",
                "customFields.level": "B",
            },
            {"name": "乙", "customFields.active": "maybe"},
            {"name": "丙", "customFields.since": "2024/03/01"},
            {"name": "丁", "customFields.nosuch": "x"},
        ],
        mode=ImportMode.CREATE,
    )

    # then
    assert {(f.row, f.field) for f in result.failures} == {
        (2, "customFields.active"),
        (3, "customFields.since"),
        (4, "customFields.nosuch"),
    }
    (stored,) = await customers(viewer)
    assert stored.custom_fields == {
        "amount": 1234.5,
        "active": True,
        "regions": ["华东", "华南"],
        "since": "2024-03-01",
        "level": "B",
    }


async def test_custom_fields_update_as_a_patch(viewer: Viewer):
    # given
    for key in ("a", "b"):
        await define_custom_field(
            viewer, CustomFieldData(CustomFieldEntity.CUSTOMER, key, key, CustomFieldType.TEXT)
        )
    await apply(viewer, [{"name": "X", "customFields.a": "1", "customFields.b": "2"}])

    # when
    await apply(viewer, [{"name": "x", "customFields.b": "3", "customFields.a": None}])

    # then
    (stored,) = await customers(viewer)
    assert stored.custom_fields == {"a": "1", "b": "3"}


async def test_duplicate_external_ids_fail_the_row_not_the_chunk(viewer: Viewer):
    # given
    await apply(viewer, [{"name": "老客户", "externalId": "E1"}], mode=ImportMode.CREATE)

    # when: matching by phone only, so the external ids are new values that must be free
    result = await apply(
        viewer,
        [
            {"name": "新一", "phone": "13800000001", "externalId": "E1"},
            {"name": "新二", "phone": "13800000002", "externalId": "E2"},
            {"name": "新三", "phone": "13800000003", "externalId": "E2"},
            {"name": "新四", "phone": "13800000004"},
        ],
        match_on=("phone",),
    )

    # then
    assert result.created == 2
    assert result.failed_rows == {1, 3}
    assert {(f.row, f.field) for f in result.failures} == {(1, "externalId"), (3, "externalId")}
    assert [(c.name, c.external_id) for c in await customers(viewer)] == [
        ("老客户", "E1"),
        ("新二", "E2"),
        ("新四", None),
    ]


async def test_an_update_may_not_take_another_customers_external_id(viewer: Viewer):
    # given
    await apply(
        viewer,
        [{"name": "A", "externalId": "E1"}, {"name": "B", "externalId": "E2"}],
        mode=ImportMode.CREATE,
    )

    # when
    result = await apply(viewer, [{"name": "B", "externalId": "E1"}], match_on=("name",))

    # then
    assert [(f.row, f.field) for f in result.failures] == [(1, "externalId")]
    assert [c.external_id for c in await customers(viewer)] == ["E1", "E2"]


async def test_inline_contacts_are_created_then_updated_or_added(viewer: Viewer):
    # given
    await apply(
        viewer,
        [
            {
                "name": "云帆",
                "externalId": "Y",
                "contact.name": "王伟",
                "contact.phone": "+86 139 0000 0001",
                "contact.title": "经理",
            }
        ],
        mode=ImportMode.CREATE,
    )
    (customer,) = await customers(viewer)
    (first,) = await Contact.filter(customer_id=customer.id)
    assert (first.name, first.phone_normalized, first.title, first.is_primary) == (
        "王伟",
        "13900000001",
        "经理",
        True,
    )

    # when: the same phone updates that contact; another e-mail adds one
    result = await apply(
        viewer,
        [
            {"externalId": "Y", "contact.phone": "13900000001", "contact.email": "W@yf.cn"},
            {"externalId": "Y", "contact.name": "李娜", "contact.email": "li@yf.cn"},
            {"externalId": "Y", "contact.email": "li@yf.cn", "contact.title": "总监"},
            {"externalId": "Y", "contact.email": "nobody@yf.cn"},
        ],
        match_on=("externalId",),
    )

    # then
    assert result.updated == 3
    assert [(f.row, f.field) for f in result.failures] == [(4, "contact.name")]
    contacts = await Contact.filter(customer_id=customer.id).order_by("id")
    assert [(c.name, c.email, c.title, c.is_primary) for c in contacts] == [
        ("王伟", "w@yf.cn", "经理", True),
        ("李娜", "li@yf.cn", "总监", False),
    ]
    assert (await Customer.get(id=customer.id)).updated_at > customer.updated_at


async def test_a_customer_with_no_contact_gets_a_primary_one(viewer: Viewer):
    # given
    await apply(viewer, [{"name": "无联系人"}], mode=ImportMode.CREATE)

    # when
    await apply(viewer, [{"name": "无联系人", "contact.name": "张三"}], match_on=("name",))

    # then
    contacts = await Contact.filter(workspace_id=viewer.workspace_id)
    assert [(c.name, c.is_primary) for c in contacts] == [("张三", True)]


async def test_tags_kind_and_owner_are_read_from_text(viewer: Viewer):
    # given
    admin = await User.get(id=viewer.user_id)
    rep = await User.create(
        workspace_id=viewer.workspace_id,
        name="销售小李",
        email=f"rep-{viewer.workspace_id}@example.com",
        password_hash="x",
    )

    # when
    result = await apply(
        viewer,
        [
            {"name": "甲", "tags": "重点客户、VIP，SaaS;VIP", "kind": "个人", "owner": "销售小李"},
            {"name": "乙", "kind": "b2b", "owner": admin.email.upper()},
            {"name": "丙", "tags": None, "kind": None},
        ],
        mode=ImportMode.CREATE,
    )

    # then
    assert result.failures == []
    a, b, c = await customers(viewer)
    assert (a.tags, a.tags_index, a.kind, a.owner_id) == (
        ["重点客户", "VIP", "SaaS"],
        "\n重点客户\nVIP\nSaaS\n",
        CustomerKind.PERSON,
        rep.id,
    )
    assert (b.kind, b.owner_id) == (CustomerKind.COMPANY, admin.id)
    assert (c.tags, c.kind, c.owner_id) == ([], CustomerKind.COMPANY, admin.id)

    # a blank kind leaves it as it is on update; a new one changes it
    await apply(viewer, [{"name": "甲", "kind": None}, {"name": "乙", "kind": "个人"}])
    a, b, _ = await customers(viewer)
    assert (a.kind, b.kind) == (CustomerKind.PERSON, CustomerKind.PERSON)


def _rows(count: int, prefix: str) -> list[dict[str, str | None]]:
    return [
        {
            "name": f"{prefix} 客户 {i}",
            # one phone per customer: customers of two sizes sharing one would conflict
            "phone": f"+86 138{count * 1000 + i:08d}",
            "email": f"{prefix}-{i}@example.com",
            "externalId": f"{prefix}-{i}",
            "tags": "A、B",
            "owner": "Ada 管理员",
            "contact.name": f"联系人 {i}",
            "contact.phone": f"139{i:08d}",
        }
        for i in range(count)
    ]


@pytest.mark.parametrize("mode", [ImportMode.CREATE, ImportMode.UPSERT])
async def test_a_chunk_costs_the_same_statements_whatever_its_size(viewer: Viewer, mode):
    # given: half of each chunk exists already, so both inserts and updates happen
    counts = []
    for size in (10, 500):
        prefix = f"{mode}-{size}"
        await apply(viewer, _rows(size, prefix)[: size // 2], mode=ImportMode.CREATE)

        # when
        with count_queries() as statements:
            result = await apply(viewer, _rows(size, prefix), mode=mode)

        # then
        assert result.failures == []
        assert result.created == size - size // 2
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    # 12, the new contacts' ids (a later chunk of the file finds them by id), and the
    # history of the chunk (one INSERT).
    assert counts[1] <= 14, counts
