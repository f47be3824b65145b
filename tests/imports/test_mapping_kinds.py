"""Each import kind has its own fields, guessed from English or Chinese headers."""

from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.imports.mapping import build_mapping, is_known_field
from models.enums import ImportKind


def test_maps_a_chinese_contact_file():
    # given
    columns = ["客户编号", "客户名称", "姓名", "手机", "邮箱", "职位", "主联系人", "备注", "微信"]

    # when
    mapping = build_mapping(columns, kind=ImportKind.CONTACTS)

    # then
    assert mapping.fields_by_column == {
        "客户编号": "customer.externalId",
        "客户名称": "customer.name",
        "姓名": "name",
        "手机": "phone",
        "邮箱": "email",
        "职位": "title",
        "主联系人": "isPrimary",
        "备注": "notes",
    }
    assert mapping.unmapped_columns == ["微信"]


def test_maps_a_chinese_follow_up_log():
    # given: a bare phone column in a follow-up log is the customer's
    columns = [
        "客户",
        "电话",
        "跟进方式",
        "跟进时间",
        "沟通内容",
        "下次跟进时间",
        "联系人",
        "跟进人",
        "商机",
    ]

    # when
    mapping = build_mapping(columns, kind=ImportKind.ACTIVITIES)

    # then
    assert mapping.fields_by_column == {
        "客户": "customer.name",
        "电话": "customer.phone",
        "跟进方式": "kind",
        "跟进时间": "occurredAt",
        "沟通内容": "content",
        "下次跟进时间": "nextFollowUpAt",
        "联系人": "contact",
        "跟进人": "author",
        "商机": "opportunity",
    }


def test_maps_an_english_deal_file():
    # given
    columns = [
        "Customer ID",
        "Company",
        "Deal Name",
        "Pipeline",
        "Stage",
        "Amount",
        "Currency",
        "Expected Close Date",
        "Owner",
        "Probability",
        "External ID",
        "customFields.source",
    ]

    # when
    mapping = build_mapping(columns, kind=ImportKind.OPPORTUNITIES)

    # then
    assert list(mapping.fields_by_column.values()) == [
        "customer.externalId",
        "customer.name",
        "name",
        "pipeline",
        "stage",
        "amount",
        "currency",
        "expectedCloseDate",
        "owner",
        "probability",
        "externalId",
        "customFields.source",
    ]


def test_the_same_header_means_what_the_kind_means_by_it():
    columns = ["客户名称", "负责人", "类型"]

    assert build_mapping(columns).fields_by_column == {
        "客户名称": "name",
        "负责人": "owner",
        "类型": "kind",
    }
    assert build_mapping(columns, kind=ImportKind.ACTIVITIES).fields_by_column == {
        "客户名称": "customer.name",
        "负责人": "author",
        "类型": "kind",
    }


def test_activities_have_no_custom_fields():
    mapping = build_mapping(["内容", "customFields.mood"], kind=ImportKind.ACTIVITIES)

    assert mapping.fields_by_column == {"内容": "content"}
    assert mapping.unmapped_columns == ["customFields.mood"]
    assert not is_known_field("customFields.mood", ImportKind.ACTIVITIES)
    assert is_known_field("customFields.mood", ImportKind.OPPORTUNITIES)


@pytest.mark.parametrize(
    ("field", "kind", "known"),
    [
        ("occurredAt", ImportKind.ACTIVITIES, True),
        ("occurredAt", ImportKind.CUSTOMERS, False),
        ("customer.phone", ImportKind.CONTACTS, True),
        ("customer.phone", ImportKind.CUSTOMERS, False),
        ("stage", ImportKind.OPPORTUNITIES, True),
        ("stage", ImportKind.CONTACTS, False),
        ("contact.name", ImportKind.CUSTOMERS, True),
        ("contact.name", ImportKind.CONTACTS, False),
    ],
)
def test_is_known_field_asks_the_kind(field, kind, known):
    assert is_known_field(field, kind) is known


def test_an_explicit_field_of_another_kind_is_refused_by_name():
    with pytest.raises(DomainError) as raised:
        build_mapping(["时间"], [("时间", "industry")], kind=ImportKind.ACTIVITIES)

    assert [(p.field, p.message) for p in raised.value.problems] == [
        ("mapping[0].field", "“industry” is not an activity field.")
    ]
