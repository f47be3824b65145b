"""customers(filter: {customField: …}): exact matches, or "holds the option" for MULTI_SELECT."""

import pytest

from tests.factories import create_customer, define_custom_field
from tests.helpers import Account, GraphQL

CUSTOMERS = """
query Customers($filter: CustomerFilter, $first: Int, $after: String) {
  customers(first: $first, after: $after, filter: $filter, orderBy: {field: NAME, direction: ASC}) {
    totalCount
    edges { node { name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
TRICKY = ["O'Brien", 'say "hi"', "back\\slash", "100%_done", "'); DROP TABLE customer; --"]
FIELDS = {
    "note": ("TEXT", None),
    "employees": ("NUMBER", None),
    "founded_on": ("DATE", None),
    "vip": ("BOOLEAN", None),
    "grade": ("SELECT", ["A", "B", *TRICKY]),
    "channels": ("MULTI_SELECT", ["微信", "电话", "邮件", *TRICKY]),
}
CUSTOMERS_BY_NAME = {
    "甲": {
        "note": "华东",
        "employees": 120,
        "founded_on": "2020-01-01",
        "vip": True,
        "grade": "A",
        "channels": ["微信", "电话"],
    },
    "乙": {
        "note": "华东大区",
        "employees": 120.5,
        "founded_on": "2021-06-30",
        "vip": False,
        "grade": "B",
        "channels": ["电话"],
    },
    "丙": {},
    "丁": {"note": "O'Brien", "grade": "O'Brien", "channels": TRICKY},
}


async def names(gql: GraphQL, token: str, key: str, value) -> list[str]:
    """Names found, after checking that totalCount agrees with the page."""
    variables = {"filter": {"customField": {"key": key, "value": value}}, "first": 50}
    connection = (await gql.execute(CUSTOMERS, variables, token)).ok()["customers"]
    found = [edge["node"]["name"] for edge in connection["edges"]]
    assert connection["totalCount"] == len(found)
    return sorted(found)


@pytest.fixture
async def customers(gql: GraphQL, workspace: Account) -> Account:
    """The workspace with every type of field defined and four customers holding values."""
    for key, (type_, options) in FIELDS.items():
        await define_custom_field(gql, workspace, "CUSTOMER", key, type_, options=options)
    for name, values in CUSTOMERS_BY_NAME.items():
        await create_customer(gql, workspace, name=name, customFields=values)
    # The same values in another workspace are never found.
    stranger = await gql.sign_up(workspace_name="别家公司")
    for key, (type_, options) in FIELDS.items():
        await define_custom_field(gql, stranger, "CUSTOMER", key, type_, options=options)
    await create_customer(gql, stranger, name="别家", customFields=CUSTOMERS_BY_NAME["甲"])
    return workspace


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("note", "华东", ["甲"]),
        ("note", " 华东 ", ["甲"]),
        ("note", "华", []),
        ("note", "O'Brien", ["丁"]),
        ("employees", 120, ["甲"]),
        ("employees", 120.0, ["甲"]),
        ("employees", 120.5, ["乙"]),
        ("employees", 0, []),
        ("employees", "120", []),
        ("founded_on", "2020-01-01", ["甲"]),
        ("founded_on", "2020-1-1", []),
        ("vip", True, ["甲"]),
        ("vip", False, ["乙"]),
        ("vip", 1, []),
        ("grade", "A", ["甲"]),
        ("grade", " B ", ["乙"]),
        ("grade", "O'Brien", ["丁"]),
        ("grade", "C", []),
        ("channels", "电话", ["乙", "甲"]),
        ("channels", "微信", ["甲"]),
        ("channels", "邮件", []),
        ("channels", "短信", []),
        ("channels", ["电话"], []),
    ],
)
async def test_filter_on_each_type(
    gql: GraphQL, customers: Account, key: str, value, expected: list[str]
):
    # when / then
    assert await names(gql, customers.token, key, value) == sorted(expected)


@pytest.mark.parametrize("option", TRICKY)
async def test_options_with_quotes_and_wildcards_match_exactly(
    gql: GraphQL, customers: Account, option: str
):
    # when / then
    assert await names(gql, customers.token, "channels", option) == ["丁"]
    expected = ["丁"] if option == "O'Brien" else []
    assert await names(gql, customers.token, "grade", option) == expected


@pytest.mark.parametrize(
    "key", ["nope", "Note", "note'); DROP TABLE customer; --", "wechat", "", "a" * 60]
)
async def test_a_key_no_customer_field_has_matches_nothing(
    gql: GraphQL, customers: Account, key: str
):
    # given: "wechat" is a contact's field, not a customer's
    await define_custom_field(gql, customers, "CONTACT", "wechat")

    # when / then
    assert await names(gql, customers.token, key, "华东") == []
    assert await names(gql, customers.token, "note", "华东") == ["甲"]


async def test_a_deleted_field_matches_nothing(gql: GraphQL, workspace: Account):
    # given
    field = await define_custom_field(gql, workspace, "CUSTOMER", "region")
    await create_customer(gql, workspace, name="甲", customFields={"region": "华东"})
    delete = "mutation($id: ID!) { deleteCustomField(id: $id) { errors { code } } }"
    await gql.execute(delete, {"id": field["id"]}, workspace.token)

    # when / then
    assert await names(gql, workspace.token, "region", "华东") == []


async def test_combines_with_other_filters_and_pages(gql: GraphQL, workspace: Account):
    # given
    await define_custom_field(gql, workspace, "CUSTOMER", "vip", "BOOLEAN")
    for name in ["A1", "A2", "A3", "B1"]:
        await create_customer(
            gql, workspace, name=name, kind="PERSON", customFields={"vip": name != "A2"}
        )
    await create_customer(gql, workspace, name="A4", kind="COMPANY", customFields={"vip": True})
    flt = {"kind": "PERSON", "customField": {"key": "vip", "value": True}}

    # when
    first = (await gql.execute(CUSTOMERS, {"filter": flt, "first": 2}, workspace.token)).ok()
    cursor = first["customers"]["pageInfo"]["endCursor"]
    variables = {"filter": flt, "first": 2, "after": cursor}
    second = (await gql.execute(CUSTOMERS, variables, workspace.token)).ok()

    # then
    assert first["customers"]["totalCount"] == 3
    assert [e["node"]["name"] for e in first["customers"]["edges"]] == ["A1", "A3"]
    assert [e["node"]["name"] for e in second["customers"]["edges"]] == ["B1"]
    assert second["customers"]["pageInfo"]["hasNextPage"] is False


async def test_a_changed_value_is_found_by_its_new_value(gql: GraphQL, workspace: Account):
    # given
    await define_custom_field(
        gql, workspace, "CUSTOMER", "channels", "MULTI_SELECT", options=["微信", "电话"]
    )
    customer_id = (await create_customer(gql, workspace, name="甲", customFields={"channels": []}))[
        "id"
    ]
    update = """
    mutation($id: ID!, $input: CustomerPatch!) { updateCustomer(id: $id, input: $input) { errors { code } } }
    """

    # when
    await gql.execute(
        update,
        {"id": customer_id, "input": {"customFields": {"channels": ["电话"]}}},
        workspace.token,
    )

    # then
    assert await names(gql, workspace.token, "channels", "电话") == ["甲"]
    assert await names(gql, workspace.token, "channels", "微信") == []
