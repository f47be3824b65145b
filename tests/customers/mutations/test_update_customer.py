"""updateCustomer: a patch changes what it sends, null clears, and the rules of create apply."""

from datetime import datetime

import pytest

from api.core.ids import to_global_id
from models import Contact, Customer
from tests.documents import document
from tests.factories import create_customer, define_custom_field, invite, pk
from tests.helpers import Account, GraphQL

CUSTOMER = """
query Customer($id: ID!) {
  customer(id: $id) {
    id name kind phone email website industry leadSource tags externalId customFields
    owner { id }
    createdAt updatedAt
  }
}
"""
SEARCH = """
query Search($filter: CustomerFilter!) {
  customers(first: 10, filter: $filter) { edges { node { id } } }
}
"""
FULL = {
    "name": "上海云帆科技有限公司",
    "kind": "COMPANY",
    "phone": "+86 138-0013-8000",
    "email": "info@yunfan.cn",
    "website": "https://yunfan.example.cn",
    "industry": "软件",
    "leadSource": "展会",
    "tags": ["重点客户", "VIP"],
    "externalId": "ERP-0001",
    "customFields": {"region": "华东"},
}


@pytest.fixture
async def workspace(gql: GraphQL) -> Account:
    """A fresh workspace with the custom fields that FULL and the patches fill in."""
    account = await gql.sign_up()
    await define_custom_field(gql, account, "CUSTOMER", "region")
    await define_custom_field(gql, account, "CUSTOMER", "birthday", "DATE")
    return account


def problems(payload: dict) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def read(gql: GraphQL, token: str, customer_id: str) -> dict:
    return (await gql.execute(CUSTOMER, {"id": customer_id}, token)).ok()["customer"]


async def found(gql: GraphQL, token: str, **flt: str) -> list[str]:
    data = (await gql.execute(SEARCH, {"filter": flt}, token)).ok()
    return [edge["node"]["id"] for edge in data["customers"]["edges"]]


async def test_only_the_fields_sent_change(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, **FULL))["id"]
    before = await read(gql, workspace.token, customer_id)

    # when
    result = await gql.execute(
        document("updateCustomer"),
        {"id": customer_id, "input": {"industry": "制造"}},
        workspace.token,
    )

    # then
    payload = result.ok()["updateCustomer"]
    assert payload["errors"] == []
    after = await read(gql, workspace.token, customer_id)
    assert payload["customer"] == after
    assert after["industry"] == "制造"
    unchanged = {k: v for k, v in before.items() if k not in ("industry", "updatedAt")}
    assert {k: v for k, v in after.items() if k in unchanged} == unchanged


async def test_every_field_can_be_changed(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, **FULL))["id"]
    colleague_id = (await invite(gql, workspace)).user_id
    patch = {
        "name": " 王芳 ",
        "kind": "PERSON",
        "phone": "+1 (415) 555-0100",
        "email": "Wang.Fang@Example.com",
        "website": "https://wangfang.example.com",
        "industry": "零售",
        "leadSource": "转介绍",
        "tags": ["个人"],
        "externalId": "CRM-9",
        "ownerId": colleague_id,
        "customFields": {"birthday": "1990-01-01"},
    }

    # when
    result = await gql.execute(
        document("updateCustomer"), {"id": customer_id, "input": patch}, workspace.token
    )

    # then
    customer = result.ok()["updateCustomer"]["customer"]
    assert customer["name"] == "王芳"
    assert customer["kind"] == "PERSON"
    assert customer["phone"] == "+1 (415) 555-0100"
    assert customer["email"] == "wang.fang@example.com"
    assert customer["website"] == "https://wangfang.example.com"
    assert customer["industry"] == "零售"
    assert customer["leadSource"] == "转介绍"
    assert customer["tags"] == ["个人"]
    assert customer["externalId"] == "CRM-9"
    assert customer["owner"] == {"id": colleague_id}
    assert customer["customFields"] == {"region": "华东", "birthday": "1990-01-01"}  # merged
    assert await read(gql, workspace.token, customer_id) == customer


async def test_null_clears_optional_fields(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, **FULL))["id"]
    cleared = ["phone", "email", "website", "industry", "leadSource", "externalId", "ownerId"]
    patch = {name: None for name in [*cleared, "tags", "customFields"]}

    # when
    result = await gql.execute(
        document("updateCustomer"), {"id": customer_id, "input": patch}, workspace.token
    )

    # then
    assert result.ok()["updateCustomer"]["errors"] == []
    customer = await read(gql, workspace.token, customer_id)
    for name in ("phone", "email", "website", "industry", "leadSource", "externalId", "owner"):
        assert customer[name] is None, name
    assert customer["tags"] == []
    assert customer["customFields"] == {}
    assert customer["name"] == FULL["name"]
    stored = await Customer.get(id=pk(customer_id))
    assert stored.phone_normalized is None
    assert stored.tags_index == ""


async def test_cleared_phone_and_tags_are_no_longer_found(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, **FULL))["id"]
    assert await found(gql, workspace.token, search="13800138000") == [customer_id]
    assert await found(gql, workspace.token, tag="VIP") == [customer_id]

    # when
    result = await gql.execute(
        document("updateCustomer"),
        {"id": customer_id, "input": {"phone": None, "tags": None}},
        workspace.token,
    )

    # then
    assert result.ok()["updateCustomer"]["errors"] == []
    assert await found(gql, workspace.token, search="13800138000") == []
    assert await found(gql, workspace.token, tag="VIP") == []


async def test_changed_phone_is_normalized_again(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, **FULL))["id"]

    # when
    result = await gql.execute(
        document("updateCustomer"),
        {"id": customer_id, "input": {"phone": "+1 (415) 555-0100"}},
        workspace.token,
    )

    # then
    assert result.ok()["updateCustomer"]["customer"]["phone"] == "+1 (415) 555-0100"
    assert await found(gql, workspace.token, search="415-555-0100") == [customer_id]
    assert await found(gql, workspace.token, search="13800138000") == []


async def test_tags_are_trimmed_deduplicated_and_searchable(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, **FULL))["id"]

    # when
    result = await gql.execute(
        document("updateCustomer"),
        {"id": customer_id, "input": {"tags": ["  老客户 ", "老客户", "", "VIP", " VIP"]}},
        workspace.token,
    )

    # then
    assert result.ok()["updateCustomer"]["customer"]["tags"] == ["老客户", "VIP"]
    assert await found(gql, workspace.token, tag="老客户") == [customer_id]
    assert await found(gql, workspace.token, tag="重点客户") == []


async def test_name_cannot_be_cleared(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, name="云帆"))["id"]

    for name in (None, "   "):
        # when
        result = await gql.execute(
            document("updateCustomer"),
            {"id": customer_id, "input": {"name": name}},
            workspace.token,
        )

        # then
        payload = result.ok()["updateCustomer"]
        assert payload["customer"] is None
        assert problems(payload) == [("input.name", "REQUIRED")]
    assert (await read(gql, workspace.token, customer_id))["name"] == "云帆"


async def test_kind_cannot_be_cleared(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, kind="PERSON"))["id"]

    # when
    result = await gql.execute(
        document("updateCustomer"), {"id": customer_id, "input": {"kind": None}}, workspace.token
    )

    # then
    assert problems(result.ok()["updateCustomer"]) == [("input.kind", "REQUIRED")]
    assert (await read(gql, workspace.token, customer_id))["kind"] == "PERSON"


async def test_invalid_patch_changes_nothing(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, **FULL))["id"]
    before = await read(gql, workspace.token, customer_id)

    # when: one good field, two bad ones
    result = await gql.execute(
        document("updateCustomer"),
        {"id": customer_id, "input": {"industry": "制造", "email": "nope", "phone": "n/a"}},
        workspace.token,
    )

    # then
    payload = result.ok()["updateCustomer"]
    assert payload["customer"] is None
    assert sorted(problems(payload)) == [("input.email", "INVALID"), ("input.phone", "INVALID")]
    assert await read(gql, workspace.token, customer_id) == before


async def test_custom_fields_error_uses_the_api_field_name(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]

    # when
    result = await gql.execute(
        document("updateCustomer"),
        {"id": customer_id, "input": {"customFields": "oops"}},
        workspace.token,
    )

    # then
    assert problems(result.ok()["updateCustomer"]) == [("input.customFields", "INVALID")]


async def test_external_id_taken_by_another_customer_is_duplicate(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="First", externalId="ERP-1")
    second_id = (await create_customer(gql, workspace, name="Second", externalId="ERP-2"))["id"]

    # when
    result = await gql.execute(
        document("updateCustomer"),
        {"id": second_id, "input": {"externalId": "ERP-1"}},
        workspace.token,
    )

    # then
    payload = result.ok()["updateCustomer"]
    assert payload["customer"] is None
    assert problems(payload) == [("input.externalId", "DUPLICATE")]
    assert (await read(gql, workspace.token, second_id))["externalId"] == "ERP-2"


async def test_keeping_its_own_external_id_is_no_conflict(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, name="First", externalId="ERP-1"))["id"]

    # when
    result = await gql.execute(
        document("updateCustomer"),
        {"id": customer_id, "input": {"externalId": "ERP-1", "name": "Renamed"}},
        workspace.token,
    )

    # then
    payload = result.ok()["updateCustomer"]
    assert payload["errors"] == []
    assert payload["customer"]["externalId"] == "ERP-1"
    assert payload["customer"]["name"] == "Renamed"


async def test_owner_can_be_reassigned_to_a_colleague(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    colleague_id = (await invite(gql, workspace)).user_id

    # when
    result = await gql.execute(
        document("updateCustomer"),
        {"id": customer_id, "input": {"ownerId": colleague_id}},
        workspace.token,
    )

    # then
    assert result.ok()["updateCustomer"]["customer"]["owner"] == {"id": colleague_id}


async def test_owner_from_another_workspace_is_not_found(gql: GraphQL, workspace, other_workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]

    for owner_id in (other_workspace.user_id, to_global_id("User", 2**62), "garbage"):
        # when
        result = await gql.execute(
            document("updateCustomer"),
            {"id": customer_id, "input": {"ownerId": owner_id}},
            workspace.token,
        )

        # then
        assert problems(result.ok()["updateCustomer"]) == [("input.ownerId", "NOT_FOUND")]
    assert (await read(gql, workspace.token, customer_id))["owner"] == {"id": workspace.user_id}


async def test_unknown_id_is_not_found(gql: GraphQL, workspace):
    # given
    customer_with_contact = (await create_customer(gql, workspace, contacts=[{"name": "王伟"}]))[
        "id"
    ]
    contact = await Contact.get(customer_id=pk(customer_with_contact))
    mistyped = to_global_id("Contact", contact.id)

    for customer_id in (to_global_id("Customer", 2**62), "garbage", mistyped):
        # when
        result = await gql.execute(
            document("updateCustomer"), {"id": customer_id, "input": {"name": "X"}}, workspace.token
        )

        # then
        payload = result.ok()["updateCustomer"]
        assert payload["customer"] is None
        assert problems(payload) == [("id", "NOT_FOUND")]


async def test_another_workspaces_customer_is_not_found_and_unchanged(
    gql: GraphQL, workspace, other_workspace
):
    # given
    theirs = (await create_customer(gql, other_workspace, name="Theirs"))["id"]

    # when
    result = await gql.execute(
        document("updateCustomer"), {"id": theirs, "input": {"name": "Stolen"}}, workspace.token
    )

    # then
    assert problems(result.ok()["updateCustomer"]) == [("id", "NOT_FOUND")]
    assert (await Customer.get(id=pk(theirs))).name == "Theirs"


async def test_updated_at_advances(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    before = await read(gql, workspace.token, customer_id)

    # when
    result = await gql.execute(
        document("updateCustomer"),
        {"id": customer_id, "input": {"industry": "制造"}},
        workspace.token,
    )

    # then
    customer = result.ok()["updateCustomer"]["customer"]
    assert datetime.fromisoformat(customer["updatedAt"]) > datetime.fromisoformat(
        before["updatedAt"]
    )
    assert customer["createdAt"] == before["createdAt"]
    assert (await read(gql, workspace.token, customer_id))["updatedAt"] == customer["updatedAt"]


async def test_empty_patch_changes_nothing(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, **FULL))["id"]
    before = await read(gql, workspace.token, customer_id)

    # when
    result = await gql.execute(
        document("updateCustomer"), {"id": customer_id, "input": {}}, workspace.token
    )

    # then
    assert result.ok()["updateCustomer"]["customer"] == before
    assert await read(gql, workspace.token, customer_id) == before
