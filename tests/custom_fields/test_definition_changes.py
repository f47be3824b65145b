"""What changing or deleting a definition does to the values records already hold."""

from tests.documents import document
from tests.factories import define_custom_field
from tests.helpers import Account, GraphQL, count_queries

CUSTOMER = """
query Customer($id: ID!) {
  customer(id: $id) { customFields contacts { edges { node { customFields } } } }
}
"""
UPDATE_CUSTOM_FIELD = """
mutation UpdateCustomField($id: ID!, $input: CustomFieldPatch!) {
  updateCustomField(id: $id, input: $input) { errors { field code } }
}
"""
DELETE_CUSTOM_FIELD = """
mutation DeleteCustomField($id: ID!) {
  deleteCustomField(id: $id) { errors { field code } }
}
"""


async def _create(gql: GraphQL, account: Account, **fields) -> dict:
    fields.setdefault("name", "云帆科技")
    result = await gql.execute(document("createCustomer"), {"input": fields}, account.token)
    payload = result.ok()["createCustomer"]
    assert payload["errors"] == [], payload["errors"]
    return payload["customer"]


async def _update(gql: GraphQL, account: Account, customer_id: str, values) -> list:
    variables = {"id": customer_id, "input": {"customFields": values}}
    payload = (await gql.execute(document("updateCustomer"), variables, account.token)).ok()[
        "updateCustomer"
    ]
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def _stored(gql: GraphQL, account: Account, customer_id: str) -> dict:
    data = (await gql.execute(CUSTOMER, {"id": customer_id}, account.token)).ok()
    return data["customer"]["customFields"]


async def _change_field(gql: GraphQL, account: Account, field_id: str, **changes) -> None:
    variables = {"id": field_id, "input": changes}
    result = await gql.execute(UPDATE_CUSTOM_FIELD, variables, account.token)
    assert result.ok()["updateCustomField"]["errors"] == []


async def test_a_field_made_required_binds_new_records_not_old_ones(
    gql: GraphQL, workspace: Account
):
    # given
    region = await define_custom_field(gql, workspace, "CUSTOMER", "region")
    await define_custom_field(gql, workspace, "CUSTOMER", "note")
    old = await _create(gql, workspace)
    await _change_field(gql, workspace, region["id"], required=True)

    # when
    untouched = await _update(gql, workspace, old["id"], {"note": "老客户"})
    new = await gql.execute(
        document("createCustomer"), {"input": {"name": "新客户"}}, workspace.token
    )

    # then
    assert untouched == []
    assert await _stored(gql, workspace, old["id"]) == {"note": "老客户"}
    errors = new.ok()["createCustomer"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("input.customFields.region", "REQUIRED")]


async def test_values_of_a_deleted_field_stay_until_cleared_and_cannot_be_set(
    gql: GraphQL, workspace: Account
):
    # given
    region = await define_custom_field(gql, workspace, "CUSTOMER", "region")
    await define_custom_field(gql, workspace, "CUSTOMER", "note")
    customer = await _create(gql, workspace, customFields={"region": "华东", "note": "x"})
    result = await gql.execute(DELETE_CUSTOM_FIELD, {"id": region["id"]}, workspace.token)
    assert result.ok()["deleteCustomField"]["errors"] == []

    # when
    kept = await _stored(gql, workspace, customer["id"])
    set_again = await _update(gql, workspace, customer["id"], {"region": "华南"})
    other_key = await _update(gql, workspace, customer["id"], {"note": "y"})
    after_other_key = await _stored(gql, workspace, customer["id"])
    cleared = await _update(gql, workspace, customer["id"], {"region": None})

    # then
    assert kept == {"region": "华东", "note": "x"}
    assert set_again == [("input.customFields.region", "INVALID")]
    assert other_key == []
    assert after_other_key == {"region": "华东", "note": "y"}
    assert cleared == []
    assert await _stored(gql, workspace, customer["id"]) == {"note": "y"}


async def test_a_removed_option_stays_stored_but_cannot_be_chosen_again(
    gql: GraphQL, workspace: Account
):
    # given
    grade = await define_custom_field(
        gql, workspace, "CUSTOMER", "grade", "SELECT", options=["A", "B"]
    )
    customer = await _create(gql, workspace, customFields={"grade": "B"})
    await _change_field(gql, workspace, grade["id"], options=["A", "C"])

    # when
    kept = await _stored(gql, workspace, customer["id"])
    again = await _update(gql, workspace, customer["id"], {"grade": "B"})
    new_option = await _update(gql, workspace, customer["id"], {"grade": "C"})

    # then
    assert kept == {"grade": "B"}
    assert again == [("input.customFields.grade", "INVALID")]
    assert new_option == []
    assert await _stored(gql, workspace, customer["id"]) == {"grade": "C"}


async def test_one_query_reads_the_definitions_of_a_customer_and_its_contacts(
    gql: GraphQL, workspace: Account
):
    # given
    await define_custom_field(gql, workspace, "CUSTOMER", "region")
    await define_custom_field(gql, workspace, "CONTACT", "wechat")
    contacts = [{"name": f"联系人 {i}", "customFields": {"wechat": f"wx_{i}"}} for i in range(5)]

    # when
    with count_queries() as statements:
        customer = await _create(gql, workspace, customFields={"region": "华东"}, contacts=contacts)

    # then
    reads = [s for s in statements if "custom_field_definition" in s]
    assert len(reads) == 1, reads
    assert customer["customFields"] == {"region": "华东"}
    stored = [edge["node"]["customFields"] for edge in customer["contacts"]["edges"]]
    assert sorted(value["wechat"] for value in stored) == [f"wx_{i}" for i in range(5)]
