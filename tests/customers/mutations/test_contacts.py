"""createContact / updateContact / deleteContact: one primary contact, clean data, tenancy."""

from datetime import datetime

from api.core.ids import to_global_id
from models import Activity, Contact
from tests.documents import document
from tests.factories import create_contact, create_customer, log_activity, pk
from tests.helpers import GraphQL

DELETE_CONTACT = """
mutation DeleteContact($id: ID!) {
  deleteContact(id: $id) {
    deletedId
    errors { field message code }
  }
}
"""
CONTACTS = """
query Contacts($id: ID!) {
  customer(id: $id) {
    updatedAt
    contacts { totalCount edges { node { id name title phone email isPrimary notes } } }
  }
}
"""
SEARCH = """
query Search($search: String!) {
  customers(first: 10, filter: {search: $search}) { edges { node { id } } }
}
"""


def problems(payload: dict) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def contacts_of(gql: GraphQL, token: str, customer_id: str) -> dict:
    return (await gql.execute(CONTACTS, {"id": customer_id}, token)).ok()["customer"]


def primaries(customer: dict) -> list[str]:
    return [e["node"]["name"] for e in customer["contacts"]["edges"] if e["node"]["isPrimary"]]


# ---------------------------------------------------------------- createContact


async def test_create_contact_stores_its_fields(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    contact_input = {
        "customerId": customer_id,
        "name": " 王伟 ",
        "title": "采购经理",
        "phone": "+86 138-0013-8000",
        "email": "Wang.Wei@YunFan.cn",
        "notes": "周一上午方便",
    }

    # when
    result = await gql.execute(document("createContact"), {"input": contact_input}, workspace.token)

    # then
    payload = result.ok()["createContact"]
    assert payload["errors"] == []
    contact = payload["contact"]
    assert contact["name"] == "王伟"
    assert contact["title"] == "采购经理"
    assert contact["phone"] == "+86 138-0013-8000"
    assert contact["email"] == "wang.wei@yunfan.cn"
    assert contact["notes"] == "周一上午方便"
    assert contact["customer"] == {"id": customer_id}
    assert (await Contact.get(id=pk(contact["id"]))).phone_normalized == "13800138000"
    found = (await gql.execute(SEARCH, {"search": "13800138000"}, workspace.token)).ok()
    assert [edge["node"]["id"] for edge in found["customers"]["edges"]] == [customer_id]


async def test_first_contact_of_a_customer_becomes_primary(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]

    # when
    result = await gql.execute(
        document("createContact"),
        {"input": {"customerId": customer_id, "name": "王伟"}},
        workspace.token,
    )

    # then
    assert result.ok()["createContact"]["contact"]["isPrimary"] is True


async def test_later_contacts_do_not_take_over_the_primary(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, contacts=[{"name": "王伟"}]))["id"]

    # when
    result = await gql.execute(
        document("createContact"),
        {"input": {"customerId": customer_id, "name": "李娜"}},
        workspace.token,
    )

    # then
    assert result.ok()["createContact"]["contact"]["isPrimary"] is False
    assert primaries(await contacts_of(gql, workspace.token, customer_id)) == ["王伟"]


async def test_new_primary_contact_clears_the_old_one(gql: GraphQL, workspace):
    # given
    customer_id = (
        await create_customer(gql, workspace, contacts=[{"name": "王伟"}, {"name": "李娜"}])
    )["id"]

    # when
    result = await gql.execute(
        document("createContact"),
        {"input": {"customerId": customer_id, "name": "张强", "isPrimary": True}},
        workspace.token,
    )

    # then
    assert result.ok()["createContact"]["contact"]["isPrimary"] is True
    customer = await contacts_of(gql, workspace.token, customer_id)
    assert customer["contacts"]["totalCount"] == 3
    assert primaries(customer) == ["张强"]


async def test_primary_switch_leaves_other_customers_primaries_alone(gql: GraphQL, workspace):
    # given
    first = (await create_customer(gql, workspace, contacts=[{"name": "王伟"}]))["id"]
    second = (await create_customer(gql, workspace, contacts=[{"name": "李娜"}]))["id"]

    # when
    await create_contact(gql, workspace, first, name="张强", isPrimary=True)

    # then
    assert primaries(await contacts_of(gql, workspace.token, first)) == ["张强"]
    assert primaries(await contacts_of(gql, workspace.token, second)) == ["李娜"]


async def test_create_contact_marks_the_customer_updated(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    before = (await contacts_of(gql, workspace.token, customer_id))["updatedAt"]

    # when
    await create_contact(gql, workspace, customer_id)

    # then
    after = (await contacts_of(gql, workspace.token, customer_id))["updatedAt"]
    assert datetime.fromisoformat(after) > datetime.fromisoformat(before)


async def test_create_contact_validates_its_fields(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    contact_input = {"customerId": customer_id, "name": "  ", "email": "x@", "phone": "ext. 12"}

    # when
    result = await gql.execute(document("createContact"), {"input": contact_input}, workspace.token)

    # then
    payload = result.ok()["createContact"]
    assert payload["contact"] is None
    assert sorted(problems(payload)) == [
        ("input.email", "INVALID"),
        ("input.name", "REQUIRED"),
        ("input.phone", "INVALID"),
    ]
    assert await Contact.filter(customer_id=pk(customer_id)).count() == 0


async def test_create_contact_for_another_workspaces_customer_is_not_found(
    gql: GraphQL, workspace, other_workspace
):
    # given
    theirs = (await create_customer(gql, other_workspace))["id"]

    # when
    result = await gql.execute(
        document("createContact"),
        {"input": {"customerId": theirs, "name": "王伟"}},
        workspace.token,
    )

    # then
    payload = result.ok()["createContact"]
    assert payload["contact"] is None
    assert problems(payload) == [("input.customerId", "NOT_FOUND")]
    assert await Contact.filter(customer_id=pk(theirs)).count() == 0


async def test_create_contact_for_unknown_or_malformed_customer_is_not_found(
    gql: GraphQL, workspace
):
    for customer_id in (to_global_id("Customer", 2**62), "garbage", workspace.user_id):
        # when
        result = await gql.execute(
            document("createContact"),
            {"input": {"customerId": customer_id, "name": "王伟"}},
            workspace.token,
        )

        # then
        assert problems(result.ok()["createContact"]) == [("input.customerId", "NOT_FOUND")]


# ---------------------------------------------------------------- updateContact


async def test_setting_is_primary_clears_the_other_primary(gql: GraphQL, workspace):
    # given
    customer_id = (
        await create_customer(gql, workspace, contacts=[{"name": "王伟"}, {"name": "李娜"}])
    )["id"]
    li_na = await Contact.get(customer_id=pk(customer_id), name="李娜")

    # when
    result = await gql.execute(
        document("updateContact"),
        {"id": to_global_id("Contact", li_na.id), "input": {"isPrimary": True}},
        workspace.token,
    )

    # then
    assert result.ok()["updateContact"]["contact"]["isPrimary"] is True
    assert primaries(await contacts_of(gql, workspace.token, customer_id)) == ["李娜"]
    assert await Contact.filter(customer_id=pk(customer_id), is_primary=True).count() == 1


async def test_update_contact_changes_only_the_fields_sent(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    contact_id = (
        await create_contact(
            gql, workspace, customer_id, name="王伟", title="经理", phone="13800138000", notes="n"
        )
    )["id"]

    # when
    result = await gql.execute(
        document("updateContact"),
        {"id": contact_id, "input": {"title": "总监", "email": "WW@yunfan.cn"}},
        workspace.token,
    )

    # then
    contact = result.ok()["updateContact"]["contact"]
    assert contact["name"] == "王伟"
    assert contact["title"] == "总监"
    assert contact["email"] == "ww@yunfan.cn"
    assert contact["phone"] == "13800138000"
    assert contact["notes"] == "n"
    assert contact["isPrimary"] is True


async def test_update_contact_null_clears_optional_fields(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    contact_id = (
        await create_contact(
            gql,
            workspace,
            customer_id,
            title="经理",
            phone="13800138000",
            email="a@b.cn",
            notes="n",
        )
    )["id"]

    # when
    result = await gql.execute(
        document("updateContact"),
        {"id": contact_id, "input": {"title": None, "phone": None, "email": None, "notes": None}},
        workspace.token,
    )

    # then
    contact = result.ok()["updateContact"]["contact"]
    assert [contact[k] for k in ("title", "phone", "email", "notes")] == [None] * 4
    assert (await Contact.get(id=pk(contact_id))).phone_normalized is None
    found = (await gql.execute(SEARCH, {"search": "13800138000"}, workspace.token)).ok()
    assert found["customers"]["edges"] == []


async def test_update_contact_validates_its_fields(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    contact_id = (await create_contact(gql, workspace, customer_id, name="王伟"))["id"]

    # when
    result = await gql.execute(
        document("updateContact"),
        {"id": contact_id, "input": {"name": None, "email": "@"}},
        workspace.token,
    )

    # then
    payload = result.ok()["updateContact"]
    assert payload["contact"] is None
    assert sorted(problems(payload)) == [("input.email", "INVALID"), ("input.name", "REQUIRED")]
    assert (await Contact.get(id=pk(contact_id))).name == "王伟"


async def test_update_unknown_or_foreign_contact_is_not_found(
    gql: GraphQL, workspace, other_workspace
):
    # given
    theirs = (await create_customer(gql, other_workspace))["id"]
    their_contact = (await create_contact(gql, other_workspace, theirs, name="Theirs"))["id"]

    for contact_id in (their_contact, to_global_id("Contact", 2**62), "garbage", theirs):
        # when
        result = await gql.execute(
            document("updateContact"),
            {"id": contact_id, "input": {"name": "Stolen"}},
            workspace.token,
        )

        # then
        payload = result.ok()["updateContact"]
        assert payload["contact"] is None
        assert problems(payload) == [("id", "NOT_FOUND")]
    assert (await Contact.get(id=pk(their_contact))).name == "Theirs"


async def test_update_contact_marks_the_customer_updated(gql: GraphQL, workspace):
    # given: a client that syncs customers (updatedSince) also shows their contacts
    customer_id = (await create_customer(gql, workspace))["id"]
    contact_id = (await create_contact(gql, workspace, customer_id, phone="13800138000"))["id"]
    before = (await contacts_of(gql, workspace.token, customer_id))["updatedAt"]

    # when
    result = await gql.execute(
        document("updateContact"),
        {"id": contact_id, "input": {"phone": "13900139000"}},
        workspace.token,
    )

    # then
    assert result.ok()["updateContact"]["errors"] == []
    after = (await contacts_of(gql, workspace.token, customer_id))["updatedAt"]
    assert datetime.fromisoformat(after) > datetime.fromisoformat(before)


# ---------------------------------------------------------------- deleteContact


async def test_delete_contact_removes_it_from_its_customer(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace, contacts=[{"name": "王伟"}]))["id"]
    contact_id = (await create_contact(gql, workspace, customer_id, name="李娜"))["id"]

    # when
    result = await gql.execute(DELETE_CONTACT, {"id": contact_id}, workspace.token)

    # then
    assert result.ok()["deleteContact"] == {"deletedId": contact_id, "errors": []}
    customer = await contacts_of(gql, workspace.token, customer_id)
    assert customer["contacts"]["totalCount"] == 1
    assert [edge["node"]["name"] for edge in customer["contacts"]["edges"]] == ["王伟"]
    assert not await Contact.exists(id=pk(contact_id))


async def test_deleting_the_primary_contact_hands_primary_to_the_oldest_left(
    gql: GraphQL, workspace
):
    # given
    customer_id = (
        await create_customer(
            gql, workspace, contacts=[{"name": "王伟"}, {"name": "李娜"}, {"name": "张强"}]
        )
    )["id"]
    await create_contact(gql, workspace, customer_id, name="赵敏", isPrimary=True)
    primary = await Contact.get(customer_id=pk(customer_id), is_primary=True)

    # when
    result = await gql.execute(
        DELETE_CONTACT, {"id": to_global_id("Contact", primary.id)}, workspace.token
    )

    # then: a customer with contacts keeps exactly one primary
    assert result.ok()["deleteContact"]["errors"] == []
    assert primaries(await contacts_of(gql, workspace.token, customer_id)) == ["王伟"]


async def test_delete_contact_keeps_the_activities_logged_with_it(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    contact_id = (await create_contact(gql, workspace, customer_id))["id"]
    activity_id = (await log_activity(gql, workspace, customer_id, contactId=contact_id))["id"]

    # when
    result = await gql.execute(DELETE_CONTACT, {"id": contact_id}, workspace.token)

    # then
    assert result.ok()["deleteContact"]["errors"] == []
    activity = await Activity.get(id=pk(activity_id))
    assert activity.contact_id is None  # type: ignore[attr-defined]
    assert activity.customer_id == pk(customer_id)  # type: ignore[attr-defined]


async def test_second_delete_contact_is_not_found(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    contact_id = (await create_contact(gql, workspace, customer_id))["id"]
    await gql.execute(DELETE_CONTACT, {"id": contact_id}, workspace.token)

    # when
    result = await gql.execute(DELETE_CONTACT, {"id": contact_id}, workspace.token)

    # then
    payload = result.ok()["deleteContact"]
    assert payload["deletedId"] is None
    assert problems(payload) == [("id", "NOT_FOUND")]


async def test_another_workspaces_contact_cannot_be_deleted(
    gql: GraphQL, workspace, other_workspace
):
    # given
    theirs = (await create_customer(gql, other_workspace))["id"]
    their_contact = (await create_contact(gql, other_workspace, theirs))["id"]

    # when
    result = await gql.execute(DELETE_CONTACT, {"id": their_contact}, workspace.token)

    # then
    assert problems(result.ok()["deleteContact"]) == [("id", "NOT_FOUND")]
    assert await Contact.exists(id=pk(their_contact))


async def test_delete_contact_marks_the_customer_updated(gql: GraphQL, workspace):
    # given
    customer_id = (await create_customer(gql, workspace))["id"]
    contact_id = (await create_contact(gql, workspace, customer_id))["id"]
    before = (await contacts_of(gql, workspace.token, customer_id))["updatedAt"]

    # when
    result = await gql.execute(DELETE_CONTACT, {"id": contact_id}, workspace.token)

    # then
    assert result.ok()["deleteContact"]["errors"] == []
    after = (await contacts_of(gql, workspace.token, customer_id))["updatedAt"]
    assert datetime.fromisoformat(after) > datetime.fromisoformat(before)
