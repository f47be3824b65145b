"""The header table: every alias, in a file of its own, fills its field; no two fields share one."""

from __future__ import annotations

from collections import defaultdict

import pytest

from domain.imports.file_columns import FileColumns
from domain.imports.headers import header_key
from domain.imports.readers import read_csv
from domain.imports.specs import SPECS
from models.enums import ImportKind

ALIASES = {kind: dict(spec.fields) for kind, spec in SPECS.items()}

_EVERY_ALIAS = [
    pytest.param(kind, field, alias, id=f"{kind.value}-{field}-{alias}")
    for kind, aliases in ALIASES.items()
    for field, headers in aliases.items()
    for alias in (field, *headers)
]


@pytest.mark.parametrize(("kind", "field", "alias"), _EVERY_ALIAS)
def test_a_file_headed_by_the_alias_fills_its_field(kind, field, alias):
    # given: a one-row CSV file whose only column is headed by the alias
    data = f'"{alias}"\r\nsome value\r\n'.encode()
    columns = FileColumns([], kind=kind, custom_fields={}, keys_vary=False)

    # when
    for _, values in read_csv(data):
        assert isinstance(values, dict)
        columns.see(values)

    # then
    assert columns.mapping is not None
    assert columns.mapping.fields_by_column == {alias: field}
    assert columns.mapping.unmapped_columns == []


@pytest.mark.parametrize("kind", list(ImportKind))
def test_no_header_names_two_fields_of_one_kind(kind):
    # given
    fields_by_key: dict[str, set[str]] = defaultdict(set)
    for field, headers in ALIASES[kind].items():
        for alias in (field, *headers):
            fields_by_key[header_key(alias)].add(field)

    # then
    assert {key: fields for key, fields in fields_by_key.items() if len(fields) > 1} == {}


def test_every_alias_keeps_something_to_compare():
    blank = [
        (kind, alias)
        for kind, aliases in ALIASES.items()
        for headers in aliases.values()
        for alias in headers
        if not header_key(alias)
    ]

    assert blank == []


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Company name", "companyname"),
        ("COMPANY_NAME", "companyname"),
        ("Organization - Name", "organizationname"),
        ("Probability (%)", "probability"),
        ("ＥＭＡＩＬ", "email"),
        ("联系人（职位）", "联系人职位"),
        ("客户：名称、", "客户名称"),
        ("  e-mail\t", "email"),
    ],
)
def test_headers_meet_whatever_their_case_spaces_underscores_and_punctuation(header, key):
    assert header_key(header) == key


@pytest.mark.parametrize(
    ("kind", "headers", "expected"),
    [
        # the three headers a customer file lost before they were in the table
        (
            ImportKind.CUSTOMERS,
            ["Company name", "客户编号", "联系人职位"],
            {"Company name": "name", "客户编号": "externalId", "联系人职位": "contact.title"},
        ),
        # HubSpot's company export
        (
            ImportKind.CUSTOMERS,
            ["Record ID", "Company name", "Company Domain Name", "Phone Number", "Company owner"],
            {
                "Record ID": "externalId",
                "Company name": "name",
                "Company Domain Name": "website",
                "Phone Number": "phone",
                "Company owner": "owner",
            },
        ),
        # Salesforce's accounts report
        (
            ImportKind.CUSTOMERS,
            ["Account Name", "Account Number", "Phone", "Website", "Industry", "Lead Source"],
            {
                "Account Name": "name",
                "Account Number": "externalId",
                "Phone": "phone",
                "Website": "website",
                "Industry": "industry",
                "Lead Source": "leadSource",
            },
        ),
        # Pipedrive's deals export
        (
            ImportKind.OPPORTUNITIES,
            [
                "Deal - Title",
                "Deal - Organization",
                "Deal - Value",
                "Deal - Currency",
                "Deal - Stage",
                "Deal - Expected close date",
                "Deal - Owner",
            ],
            {
                "Deal - Title": "name",
                "Deal - Organization": "customer.name",
                "Deal - Value": "amount",
                "Deal - Currency": "currency",
                "Deal - Stage": "stage",
                "Deal - Expected close date": "expectedCloseDate",
                "Deal - Owner": "owner",
            },
        ),
        # a WPS sheet of contacts
        (
            ImportKind.CONTACTS,
            ["所属客户", "联系人", "联系人职位", "手机", "电子邮件", "备注"],
            {
                "所属客户": "customer.name",
                "联系人": "name",
                "联系人职位": "title",
                "手机": "phone",
                "电子邮件": "email",
                "备注": "notes",
            },
        ),
    ],
)
def test_real_exports_map_whole(kind, headers, expected):
    data = (",".join(headers) + "\r\n" + ",".join("x" for _ in headers) + "\r\n").encode()
    columns = FileColumns([], kind=kind, custom_fields={}, keys_vary=False)

    for _, values in read_csv(data):
        assert isinstance(values, dict)
        columns.see(values)

    assert columns.mapping is not None
    assert columns.mapping.fields_by_column == expected
    assert columns.mapping.unmapped_columns == []
