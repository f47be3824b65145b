"""The contact row applier, on the real database: links, matching, modes, primaries, failures."""

from __future__ import annotations

import pytest

from domain.custom_fields import CustomFieldData, define_custom_field
from domain.customers import ContactData
from domain.imports.cells import ChunkResult
from domain.imports.contact_rows import apply_contact_rows
from domain.viewer import Viewer
from models import Contact, Customer
from models.enums import CustomFieldEntity, CustomFieldType, ImportMode
from tests.factories import domain_customer, viewer_of
from tests.helpers import Account, GraphQL, count_queries
from tests.imports.kinds import apply_rows, failures


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    return await viewer_of(workspace)


async def apply(
    viewer: Viewer,
    rows: list[dict[str, str | None]],
    *,
    mode: ImportMode = ImportMode.UPSERT,
    match_on: tuple[str, ...] = ("email", "phone"),
    first_row: int = 1,
) -> ChunkResult:
    return await apply_rows(
        apply_contact_rows, viewer, rows, mode=mode, match_on=match_on, first_row=first_row
    )


async def contacts_of(customer_id: int) -> list[Contact]:
    return await Contact.filter(customer_id=customer_id).order_by("id")


async def test_rows_find_their_customer_by_external_id_phone_or_name(viewer: Viewer):
    # given
    yunfan = await domain_customer(viewer, "云帆科技", external_id="C-1")
    acme = await domain_customer(viewer, "Acme Ltd", phone="+86 138-0013-8000")
    huaxin = await domain_customer(viewer, "华信咨询")

    # when
    result = await apply(
        viewer,
        [
            {"customer.externalId": "C-1", "name": "王伟", "phone": "139 0000 0001"},
            {"customer.phone": "13800138000", "name": "Jane", "email": "Jane@Acme.com"},
            {"customer.name": "华信咨询", "name": "李娜", "title": "总经理"},
            # the external id finds nobody: the name, tried after it, does
            {"customer.externalId": "NOPE", "customer.name": "acme ltd", "name": "Bob"},
        ],
        mode=ImportMode.CREATE,
    )

    # then
    assert (result.created, result.failures) == (4, [])
    (wang,) = await contacts_of(yunfan.id)
    assert (wang.name, wang.phone_normalized, wang.is_primary) == ("王伟", "13900000001", True)
    jane, bob = await contacts_of(acme.id)
    assert (jane.email, jane.is_primary, bob.name, bob.is_primary) == (
        "jane@acme.com",
        True,
        "Bob",
        False,
    )
    (li,) = await contacts_of(huaxin.id)
    assert (li.name, li.title, li.workspace_id) == ("李娜", "总经理", viewer.workspace_id)
    # a new contact is a change to its customer, for clients syncing by updatedSince
    assert (await Customer.get(id=yunfan.id)).updated_at > yunfan.updated_at


async def test_a_customer_not_found_or_ambiguous_fails_the_row_on_its_link(viewer: Viewer):
    # given: two customers share a name
    await domain_customer(viewer, "同名公司")
    await domain_customer(viewer, "同名公司")

    # when
    result = await apply(
        viewer,
        [
            {"customer.phone": "13700000000", "name": "甲"},
            {"customer.externalId": "E-404", "customer.phone": "13700000000", "name": "乙"},
            {"customer.name": "同名公司", "name": "丙"},
            {"name": "丁"},
            {"customer.phone": "call me", "name": "戊"},
        ],
        mode=ImportMode.CREATE,
    )

    # then
    assert result.created == 0
    assert failures(result) == {
        (1, "customer.phone"),
        (2, "customer.externalId"),
        (3, "customer.name"),
        (4, "customer.name"),
        (5, "customer.phone"),
    }
    messages = {f.row: f.message for f in result.failures}
    assert messages[1] == "No customer with phone “13700000000”."
    assert messages[2] == "No customer with external id “E-404” or phone “13700000000”."
    assert "external id or phone" in messages[3]
    assert await Contact.filter(workspace_id=viewer.workspace_id).count() == 0


async def test_modes_match_contacts_within_their_own_customer(viewer: Viewer):
    # given: one contact at A; B has none
    a = await domain_customer(viewer, "A", contacts=[ContactData(name="王伟", email="w@x.cn")])
    b = await domain_customer(viewer, "B")
    rows = [
        {"customer.name": "A", "name": "王伟 (新)", "email": "W@X.cn", "title": "经理"},
        # the same e-mail at another customer is another person
        {"customer.name": "B", "name": "王伟", "email": "w@x.cn"},
    ]

    # when
    create = await apply(viewer, rows, mode=ImportMode.CREATE)
    update = await apply(
        viewer, [*rows, {"customer.name": "A", "name": "新人"}], mode=ImportMode.UPDATE
    )
    upsert = await apply(viewer, [{"customer.name": "A", "name": "李娜", "email": "li@x.cn"}])

    # then
    assert (create.created, create.updated, create.skipped) == (1, 0, 1)
    assert (update.created, update.updated, update.skipped) == (0, 2, 1)
    assert (upsert.created, upsert.updated) == (1, 0)
    assert [(c.name, c.email, c.title) for c in await contacts_of(a.id)] == [
        ("王伟 (新)", "w@x.cn", "经理"),
        ("李娜", "li@x.cn", None),
    ]
    assert [(c.name, c.email) for c in await contacts_of(b.id)] == [("王伟", "w@x.cn")]


async def test_rows_of_one_chunk_match_each_other(viewer: Viewer):
    # given
    a = await domain_customer(viewer, "A")

    # when
    result = await apply(
        viewer,
        [
            {"customer.name": "A", "name": "王伟", "phone": "+86 139-0000-0001"},
            {"customer.name": "A", "phone": "13900000001", "email": "wang@a.cn"},
        ],
    )

    # then
    assert (result.created, result.updated) == (1, 1)
    assert [(c.name, c.email) for c in await contacts_of(a.id)] == [("王伟", "wang@a.cn")]


async def test_bad_rows_fail_with_their_fields_while_the_others_land(viewer: Viewer):
    # given
    a = await domain_customer(viewer, "A")
    await define_custom_field(
        viewer,
        CustomFieldData(CustomFieldEntity.CONTACT, "wechat", "微信", CustomFieldType.TEXT),
    )
    await define_custom_field(
        viewer,
        CustomFieldData(CustomFieldEntity.CONTACT, "age", "年龄", CustomFieldType.NUMBER),
    )

    # when
    result = await apply(
        viewer,
        [
            {"customer.name": "A", "name": "好的", "customFields.wechat": "wx_ok"},
            {"customer.name": "A", "name": "坏邮箱", "email": "nope"},
            {"customer.name": "A", "name": "坏电话", "phone": "call me"},
            {"customer.name": "A", "title": "无名"},
            {"customer.name": "A", "name": "坏年龄", "customFields.age": "很老"},
            {"customer.name": "A", "name": "坏主", "isPrimary": "也许"},
            {"customer.name": "A", "name": "没字段", "customFields.nosuch": "x"},
        ],
        first_row=2,
    )

    # then
    assert result.created == 1
    assert failures(result) == {
        (3, "email"),
        (4, "phone"),
        (5, "name"),
        (6, "customFields.age"),
        (7, "isPrimary"),
        (8, "customFields.nosuch"),
    }
    assert [(c.name, c.custom_fields) for c in await contacts_of(a.id)] == [
        ("好的", {"wechat": "wx_ok"})
    ]


async def test_a_primary_contact_stays_the_only_one(viewer: Viewer):
    # given
    a = await domain_customer(viewer, "A", contacts=[ContactData(name="老王", phone="13900000001")])

    # when: a new contact flagged primary, then an existing one flagged not
    await apply(
        viewer,
        [
            {"customer.name": "A", "name": "小李", "phone": "13900000002", "isPrimary": "是"},
            {"customer.name": "A", "name": "小张", "phone": "13900000003"},
        ],
    )

    # then
    assert [(c.name, c.is_primary) for c in await contacts_of(a.id)] == [
        ("老王", False),
        ("小李", True),
        ("小张", False),
    ]

    # when: the old one is made primary again by an update
    await apply(viewer, [{"customer.name": "A", "phone": "139 0000 0001", "isPrimary": "yes"}])

    # then
    assert [c.is_primary for c in await contacts_of(a.id)] == [True, False, False]


async def test_custom_fields_update_as_a_patch(viewer: Viewer):
    # given
    for key in ("a", "b"):
        await define_custom_field(
            viewer, CustomFieldData(CustomFieldEntity.CONTACT, key, key, CustomFieldType.TEXT)
        )
    a = await domain_customer(viewer, "A")
    await apply(
        viewer,
        [
            {
                "customer.name": "A",
                "name": "X",
                "email": "x@a.cn",
                "customFields.a": "1",
                "customFields.b": "2",
            }
        ],
    )

    # when
    await apply(viewer, [{"customer.name": "A", "email": "x@a.cn", "customFields.b": "3"}])

    # then
    (stored,) = await contacts_of(a.id)
    assert stored.custom_fields == {"a": "1", "b": "3"}


async def test_a_link_never_reaches_another_workspaces_customer(viewer: Viewer, gql: GraphQL):
    # given: another workspace holds a customer with the same external id, phone and name
    other = await viewer_of(await gql.sign_up())
    theirs = await domain_customer(other, "同名", external_id="X-1", phone="13800000009")

    # when
    result = await apply(
        viewer,
        [
            {"customer.externalId": "X-1", "name": "甲"},
            {"customer.phone": "13800000009", "name": "乙"},
            {"customer.name": "同名", "name": "丙"},
        ],
    )

    # then
    assert failures(result) == {
        (1, "customer.externalId"),
        (2, "customer.phone"),
        (3, "customer.name"),
    }
    assert await Contact.filter(customer_id=theirs.id).count() == 0


def _rows(count: int, prefix: str) -> list[dict[str, str | None]]:
    return [
        {
            "customer.externalId": f"{prefix}-C{i % 7}",
            "name": f"联系人 {i}",
            "phone": f"139{i:08d}",
            "email": f"{prefix}-{i}@example.com",
            "title": "经理",
            "isPrimary": "否",
        }
        for i in range(count)
    ]


async def test_a_chunk_costs_the_same_statements_whatever_its_size(viewer: Viewer):
    counts = []
    for size in (10, 200):
        # given: seven customers; half of the rows' contacts exist already
        prefix = f"s{size}"
        for i in range(7):
            await domain_customer(viewer, f"{prefix} 客户 {i}", external_id=f"{prefix}-C{i}")
        await apply(viewer, _rows(size, prefix)[: size // 2])

        # when
        with count_queries() as statements:
            result = await apply(viewer, _rows(size, prefix))

        # then
        assert result.failures == []
        assert (result.created, result.updated) == (size - size // 2, size // 2)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    # 6, the new contacts' ids (a later chunk of the file finds them by id), and the
    # history of the chunk (one INSERT).
    assert counts[1] <= 8, counts
