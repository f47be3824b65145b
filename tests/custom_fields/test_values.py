"""Custom field values: every write checks them against the definitions, type by type."""

import json

import pytest

from tests.custom_fields.writes import (
    CREATES,
    UPDATES,
    WRITES,
    Write,
    create_customer_with,
)
from tests.factories import define_custom_field
from tests.helpers import Account, GraphQL

OPTIONS = {"grade": ["A", "B", "C"], "channels": ["微信", "电话", "邮件"]}
TYPES = {
    "note": "TEXT",
    "employees": "NUMBER",
    "founded_on": "DATE",
    "vip": "BOOLEAN",
    "grade": "SELECT",
    "channels": "MULTI_SELECT",
}
GIVEN = {
    "note": "  华东区\t大客户 ",
    "employees": 120.5,
    "founded_on": "2024-02-29",
    "vip": False,
    "grade": " B ",
    "channels": ["邮件", "微信"],
}
STORED = {
    "note": "华东区\t大客户",
    "employees": 120.5,
    "founded_on": "2024-02-29",
    "vip": False,
    "grade": "B",
    "channels": ["微信", "邮件"],  # in the order the definition lists them
}
WRONG = {
    "note": 5,
    "employees": "120",
    "founded_on": "2023-02-29",
    "vip": "true",
    "grade": "D",
    "channels": ["微信", "微信"],
}


async def define_every_type(gql: GraphQL, account: Account, entity: str) -> None:
    for key, type_ in TYPES.items():
        await define_custom_field(gql, account, entity, key, type_, **_options(key))


def _options(key: str) -> dict:
    return {"options": OPTIONS[key]} if key in OPTIONS else {}


@pytest.mark.parametrize("write", WRITES, ids=str)
async def test_values_of_every_type_are_stored_cleaned(
    gql: GraphQL, workspace: Account, write: Write
):
    # given
    await define_every_type(gql, workspace, write.entity)

    # when
    errors, stored = await write.run(gql, workspace, GIVEN)

    # then
    assert errors == []
    assert stored == STORED


@pytest.mark.parametrize("write", WRITES, ids=str)
async def test_wrong_values_of_every_type_are_refused_at_their_key(
    gql: GraphQL, workspace: Account, write: Write
):
    # given
    await define_every_type(gql, workspace, write.entity)

    # when
    errors, stored = await write.run(gql, workspace, WRONG)

    # then
    assert sorted(errors) == sorted((f"{write.prefix}.{key}", "INVALID") for key in WRONG)
    assert stored is None


@pytest.mark.parametrize("write", WRITES, ids=str)
async def test_undefined_keys_are_refused(gql: GraphQL, workspace: Account, write: Write):
    # given
    await define_custom_field(gql, workspace, write.entity, "region")
    elsewhere = "OPPORTUNITY" if write.entity != "OPPORTUNITY" else "CUSTOMER"
    await define_custom_field(gql, workspace, elsewhere, "of_another_entity")
    other_workspace = await gql.sign_up(workspace_name="别家公司")
    await define_custom_field(gql, other_workspace, write.entity, "of_another_workspace")

    # when
    values = {"region": "华东", "industry_code": "A01", "of_another_entity": "x"}
    errors, _ = await write.run(gql, workspace, {**values, "of_another_workspace": "y"})

    # then
    assert sorted(errors) == [
        (f"{write.prefix}.industry_code", "INVALID"),
        (f"{write.prefix}.of_another_entity", "INVALID"),
        (f"{write.prefix}.of_another_workspace", "INVALID"),
    ]


@pytest.mark.parametrize("write", CREATES, ids=str)
async def test_required_fields_must_be_given_on_create(
    gql: GraphQL, workspace: Account, write: Write
):
    # given
    await define_custom_field(gql, workspace, write.entity, "region", required=True)
    await define_custom_field(gql, workspace, write.entity, "grade", "SELECT", required=True)
    await define_custom_field(gql, workspace, write.entity, "vip", "BOOLEAN", required=True)
    await define_custom_field(gql, workspace, write.entity, "note")

    # when
    errors, stored = await write.run(gql, workspace, {"grade": None, "vip": False, "note": "x"})
    blank, _ = await write.run(gql, workspace, {"region": "  ", "grade": [], "vip": True})
    given, kept = await write.run(gql, workspace, {"region": "华东", "grade": "A", "vip": False})

    # then
    assert sorted(errors) == [
        (f"{write.prefix}.grade", "REQUIRED"),
        (f"{write.prefix}.region", "REQUIRED"),
    ]
    assert stored is None
    assert sorted(blank) == [
        (f"{write.prefix}.grade", "INVALID"),
        (f"{write.prefix}.region", "REQUIRED"),
    ]
    assert given == []
    assert kept == {"region": "华东", "grade": "A", "vip": False}


@pytest.mark.parametrize("write", CREATES, ids=str)
async def test_without_definitions_custom_fields_default_to_empty(
    gql: GraphQL, workspace: Account, write: Write
):
    # when
    errors, stored = await write.run(gql, workspace, None)

    # then
    assert (errors, stored) == ([], {})


@pytest.mark.parametrize("write", UPDATES, ids=str)
async def test_required_fields_cannot_be_removed_on_update(
    gql: GraphQL, workspace: Account, write: Write
):
    # given
    await define_custom_field(gql, workspace, write.entity, "region", required=True)
    await define_custom_field(gql, workspace, write.entity, "note")
    initial = {"region": "华东"}

    # when
    removed, _ = await write.run(gql, workspace, {"region": None}, initial)
    blanked, _ = await write.run(gql, workspace, {"region": " "}, initial)
    cleared, _ = await write.run(gql, workspace, None, initial)
    changed, stored = await write.run(gql, workspace, {"region": "华南", "note": "备注"}, initial)

    # then
    assert removed == [(f"{write.prefix}.region", "REQUIRED")]
    assert blanked == [(f"{write.prefix}.region", "REQUIRED")]
    assert cleared == [(f"{write.prefix}.region", "REQUIRED")]
    assert changed == []
    assert stored == {"region": "华南", "note": "备注"}


@pytest.mark.parametrize("write", UPDATES, ids=str)
async def test_an_update_is_a_patch_of_the_keys_given(
    gql: GraphQL, workspace: Account, write: Write
):
    # given
    await define_every_type(gql, workspace, write.entity)

    # when
    errors, stored = await write.run(
        gql, workspace, {"employees": 7, "vip": None, "channels": ["电话"]}, STORED
    )

    # then
    assert errors == []
    unchanged = {k: v for k, v in STORED.items() if k not in ("employees", "vip", "channels")}
    assert stored == {**unchanged, "employees": 7, "channels": ["电话"]}


@pytest.mark.parametrize("write", UPDATES, ids=str)
async def test_null_custom_fields_clear_every_value(gql: GraphQL, workspace: Account, write: Write):
    # given
    await define_every_type(gql, workspace, write.entity)

    # when
    errors, stored = await write.run(gql, workspace, None, STORED)

    # then
    assert (errors, stored) == ([], {})


@pytest.mark.parametrize("write", WRITES, ids=str)
async def test_custom_fields_must_be_an_object_without_nul(
    gql: GraphQL, workspace: Account, write: Write
):
    # given
    await define_custom_field(gql, workspace, write.entity, "region")

    # when
    not_an_object, _ = await write.run(gql, workspace, ["region"])
    with_nul, _ = await write.run(gql, workspace, {"region": "华\x00东"})

    # then
    assert not_an_object == [(write.prefix, "INVALID")]
    assert with_nul == [(write.prefix, "INVALID")]


@pytest.mark.parametrize(
    ("type_", "given", "stored"),
    [
        ("TEXT", "x" * 2000, "x" * 2000),
        ("TEXT", " 多行\n文本 ", "多行\n文本"),
        ("TEXT", "控制\x07字符", "控制字符"),
        ("NUMBER", 0, 0),
        ("NUMBER", -42, -42),
        ("NUMBER", 999999999999999, 999999999999999),
        ("NUMBER", 0.125, 0.125),
        ("DATE", " 2030-12-31 ", "2030-12-31"),
        ("DATE", "1900-01-01", "1900-01-01"),
        ("DATE", "2200-12-31", "2200-12-31"),
        ("BOOLEAN", True, True),
        ("SELECT", "C", "C"),
        ("MULTI_SELECT", ["C", " A ", "B"], ["A", "B", "C"]),
        ("MULTI_SELECT", ["B"], ["B"]),
    ],
)
async def test_values_accepted(gql: GraphQL, workspace: Account, type_: str, given, stored):
    # given
    await define_custom_field(gql, workspace, "CUSTOMER", "field", type_)

    # when
    errors, values = await create_customer_with(gql, workspace, {"field": given})

    # then
    assert errors == []
    assert values == {"field": stored}


@pytest.mark.parametrize(
    ("type_", "given"),
    [
        ("TEXT", "x" * 2001),
        ("TEXT", 12),
        ("TEXT", True),
        ("TEXT", ["a"]),
        ("TEXT", {"a": "b"}),
        ("NUMBER", "12"),
        ("NUMBER", True),
        ("NUMBER", 10**15),
        ("NUMBER", -1e20),
        ("NUMBER", [1]),
        ("DATE", "2024-13-01"),
        ("DATE", "2024/01/05"),
        ("DATE", "20240105"),
        ("DATE", "2024-01-05T08:00:00"),
        ("DATE", "２０２４-01-05"),
        ("DATE", 20240105),
        # outside the years domain.dates allows (9999-12-31 is 'infinity' to asyncpg)
        ("DATE", "9999-12-31"),
        ("DATE", "0001-01-01"),
        ("DATE", "1899-12-31"),
        ("DATE", "2201-01-01"),
        ("BOOLEAN", "false"),
        ("BOOLEAN", 1),
        ("BOOLEAN", 0),
        ("SELECT", "a"),
        ("SELECT", "D"),
        ("SELECT", ["A"]),
        ("SELECT", 1),
        ("MULTI_SELECT", "A"),
        ("MULTI_SELECT", ["A", "D"]),
        ("MULTI_SELECT", ["A", " A"]),
        ("MULTI_SELECT", ["A", 1]),
        ("MULTI_SELECT", {"A": True}),
    ],
)
async def test_values_refused(gql: GraphQL, workspace: Account, type_: str, given):
    # given
    await define_custom_field(gql, workspace, "CUSTOMER", "field", type_)

    # when
    errors, stored = await create_customer_with(gql, workspace, {"field": given})

    # then
    assert errors == [("input.customFields.field", "INVALID")]
    assert stored is None


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
async def test_numbers_must_be_finite(gql: GraphQL, workspace: Account, number: str):
    # given: Python's JSON reader, like many, accepts these tokens
    await define_custom_field(gql, workspace, "CUSTOMER", "employees", "NUMBER")
    document = (
        "mutation($input: CustomerInput!) { createCustomer(input: $input) "
        "{ customer { id } errors { field code } } }"
    )
    variables = {"input": {"name": "云帆", "customFields": {"employees": "NUMBER"}}}
    body = json.dumps({"query": document, "variables": variables}).replace('"NUMBER"', number)

    # when
    response = await gql.http.post(
        "/graphql",
        content=body.encode(),
        headers={"Authorization": f"Bearer {workspace.token}", "Content-Type": "application/json"},
    )

    # then
    payload = response.json()["data"]["createCustomer"]
    assert payload == {
        "customer": None,
        "errors": [{"field": "input.customFields.employees", "code": "INVALID"}],
    }


@pytest.mark.parametrize("type_", ["TEXT", "SELECT", "MULTI_SELECT"])
async def test_empty_values_are_no_values(gql: GraphQL, workspace: Account, type_: str):
    # given
    await define_custom_field(gql, workspace, "CUSTOMER", "field", type_)
    empty = [] if type_ == "MULTI_SELECT" else "  "

    # when
    errors, stored = await create_customer_with(gql, workspace, {"field": empty})

    # then
    assert (errors, stored) == ([], {})


async def test_custom_field_problems_come_with_the_others(gql: GraphQL, workspace: Account):
    # given
    await define_custom_field(gql, workspace, "CUSTOMER", "employees", "NUMBER")
    await define_custom_field(gql, workspace, "CONTACT", "wechat", required=True)
    customer_input = {
        "name": " ",
        "email": "not-an-email",
        "customFields": {"employees": "many"},
        "contacts": [{"name": "王伟", "customFields": {"wechat": "wx_1"}}, {"name": "李娜"}],
    }

    # when
    result = await gql.execute(
        "mutation($input: CustomerInput!) { createCustomer(input: $input) "
        "{ customer { id } errors { field code } } }",
        {"input": customer_input},
        workspace.token,
    )

    # then
    payload = result.ok()["createCustomer"]
    assert payload["customer"] is None
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("input.contacts.1.customFields.wechat", "REQUIRED"),
        ("input.customFields.employees", "INVALID"),
        ("input.email", "INVALID"),
        ("input.name", "REQUIRED"),
    ]
