from __future__ import annotations

import pytest

from domain.errors import DomainError, ErrorCode
from domain.imports.headers import header_key
from domain.imports.mapping import build_mapping
from domain.imports.readers import read_csv
from domain.imports.values import parse_kind, split_tags
from models.enums import CustomerKind
from tests.imports.samples import csv_bytes


def test_maps_chinese_headers():
    # given
    columns = [
        "客户名称",
        "电话",
        "邮箱",
        "类型",
        "线索来源",
        "联系人",
        "联系人电话",
        "联系人邮箱",
        "职位",
        "标签",
        "负责人",
        "行业",
        "网站",
        "备注",
        "外部编号",
        "微信",
    ]

    # when
    mapping = build_mapping(columns)

    # then
    assert mapping.fields_by_column == {
        "客户名称": "name",
        "电话": "phone",
        "邮箱": "email",
        "类型": "kind",
        "线索来源": "leadSource",
        "联系人": "contact.name",
        "联系人电话": "contact.phone",
        "联系人邮箱": "contact.email",
        "职位": "contact.title",
        "标签": "tags",
        "负责人": "owner",
        "行业": "industry",
        "网站": "website",
        "备注": "notes",
        "外部编号": "externalId",
    }
    assert mapping.unmapped_columns == ["微信"]


def test_maps_english_headers_whatever_their_case_spacing_and_punctuation():
    # given
    columns = [
        "Company",
        "Mobile",
        "E-Mail",
        "TYPE",
        "Lead Source",
        "Contact Name",
        "contact_phone",
        "Contact-Email",
        "Title",
        " Tags ",
        "Owner",
        "Industry",
        "URL",
        "Remark",
        "External ID",
        "ｅｍａｉｌ",
    ]

    # when
    mapping = build_mapping(columns)

    # then
    assert mapping.fields_by_column == {
        "Company": "name",
        "Mobile": "phone",
        "E-Mail": "email",
        "TYPE": "kind",
        "Lead Source": "leadSource",
        "Contact Name": "contact.name",
        "contact_phone": "contact.phone",
        "Contact-Email": "contact.email",
        "Title": "contact.title",
        " Tags ": "tags",
        "Owner": "owner",
        "Industry": "industry",
        "URL": "website",
        "Remark": "notes",
        "External ID": "externalId",
    }
    # the full-width "ｅｍａｉｌ" also names email, but the first column took it
    assert mapping.unmapped_columns == ["ｅｍａｉｌ"]


def test_canonical_names_and_custom_fields_map_themselves():
    mapping = build_mapping(
        ["leadSource", "externalId", "contact.title", "customFields.level", "客户等级", "region"],
        custom_fields={"grade": "客户等级", "region": "地区"},
    )

    assert mapping.fields_by_column == {
        "leadSource": "leadSource",
        "externalId": "externalId",
        "contact.title": "contact.title",
        "customFields.level": "customFields.level",
        "客户等级": "customFields.grade",
        "region": "customFields.region",
    }


def test_a_custom_field_label_never_takes_a_built_in_header():
    mapping = build_mapping(["电话"], custom_fields={"landline": "电话"})

    assert mapping.fields_by_column == {"电话": "phone"}


def test_explicit_pairs_override_the_guess():
    # given
    columns = ["客户名称", "电话", "手机", "说明", "来源"]

    # when: the mobile column feeds phone, the notes come from 说明, and 来源 is left out
    mapping = build_mapping(
        columns, [("手机", "phone"), ("说明", "notes"), ("来源", None), ("客户名称", "name")]
    )

    # then: 电话 would have been phone, but an explicit pair took it
    assert mapping.fields_by_column == {"客户名称": "name", "手机": "phone", "说明": "notes"}
    assert mapping.unmapped_columns == ["电话", "来源"]


def test_explicit_mistakes_are_all_reported_by_name():
    # when
    with pytest.raises(DomainError) as raised:
        build_mapping(
            ["客户名称", "电话", "手机"],
            [("客户名称", "fullName"), ("电话", "phone"), ("手机", "phone"), ("传真", "notes")],
        )

    # then
    assert [(p.field, p.message, p.code) for p in raised.value.problems] == [
        ("mapping[0].field", "“fullName” is not a customer field.", ErrorCode.INVALID),
        ("mapping[2].field", "Two columns are mapped to “phone”.", ErrorCode.DUPLICATE),
        ("mapping[3].column", "The file has no column “传真”.", ErrorCode.INVALID),
    ]


def test_a_custom_field_needs_a_key():
    with pytest.raises(DomainError, match=r"“customFields\.” is not a customer field"):
        build_mapping(["x"], [("x", "customFields.")])


def test_apply_keeps_only_mapped_fields_and_unmapped_columns_are_reported_once():
    # given
    rows = list(read_csv("客户名称,微信,电话\nAcme,acme_wx,138\nBeta,,\n".encode("gb18030")))
    mapping = build_mapping(list(rows[0][1]))

    # when
    applied = [mapping.apply(values) for _, values in rows]

    # then: the per-job report holds the column; the rows never mention it
    assert mapping.unmapped_columns == ["微信"]
    assert applied == [{"name": "Acme", "phone": "138"}, {"name": "Beta", "phone": None}]


def test_a_gb18030_csv_end_to_end():
    # given
    rows = list(read_csv(csv_bytes("gb18030")))
    mapping = build_mapping(list(rows[0][1]))

    # when
    first = mapping.apply(rows[0][1])

    # then
    assert first == {
        "name": "北京星辰科技有限公司",
        "phone": "13800138000",
        "email": "info@xingchen.cn",
        "kind": "企业",
        "leadSource": "展会",
        "contact.name": "张伟",
        "contact.phone": "13900139000",
        "tags": "重点客户、VIP，SaaS",
    }
    assert split_tags(first["tags"]) == ["重点客户", "VIP", "SaaS"]
    assert parse_kind(first["kind"]) == (CustomerKind.COMPANY, None)
    assert mapping.unmapped_columns == []


def test_header_key_folds_case_width_and_punctuation():
    assert header_key(" Lead-Source ") == header_key("lead_source") == "leadsource"
    assert header_key("ＥＭＡＩＬ") == "email"
    assert header_key("联系人 电话") == "联系人电话"
