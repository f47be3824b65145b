"""Custom field definitions: admins define, change and delete them; every user reads them."""

import pytest

from tests.documents import document
from tests.factories import define_custom_field, invite
from tests.helpers import Account, GraphQL, problems

DEFINITIONS = """
query Definitions($entity: CustomFieldEntity) {
  customFieldDefinitions(entity: $entity) { id entity key label type options required position }
}
"""
UPDATE_CUSTOM_FIELD = """
mutation UpdateCustomField($id: ID!, $input: CustomFieldPatch!) {
  updateCustomField(id: $id, input: $input) {
    customField { id entity key label type options required position }
    errors { field message code }
  }
}
"""
DELETE_CUSTOM_FIELD = """
mutation DeleteCustomField($id: ID!) {
  deleteCustomField(id: $id) { deletedId errors { field message code } }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) { id ... on CustomFieldDefinition { key label } }
}
"""


async def definitions(gql: GraphQL, token: str, entity: str | None = None) -> list[dict]:
    variables = {} if entity is None else {"entity": entity}
    return (await gql.execute(DEFINITIONS, variables, token)).ok()["customFieldDefinitions"]


async def _define(gql: GraphQL, token: str, **fields) -> dict:
    result = await gql.execute(document("defineCustomField"), {"input": fields}, token)
    return result.ok()["defineCustomField"]


async def _update(gql: GraphQL, token: str, definition_id: str, **changes) -> dict:
    result = await gql.execute(UPDATE_CUSTOM_FIELD, {"id": definition_id, "input": changes}, token)
    return result.ok()["updateCustomField"]


async def test_admin_defines_a_field(gql: GraphQL, workspace: Account):
    # when
    payload = await _define(
        gql,
        workspace.token,
        entity="CUSTOMER",
        key="industry_code",
        label=" 行业代码 ",
        type="SELECT",
        options=[" A01 ", "B02", "A01", "  "],
        required=True,
    )

    # then
    assert payload["errors"] == []
    field = payload["customField"]
    assert {k: v for k, v in field.items() if k != "id"} == {
        "entity": "CUSTOMER",
        "key": "industry_code",
        "label": "行业代码",
        "type": "SELECT",
        "options": ["A01", "B02"],
        "required": True,
        "position": 0,
    }
    assert await definitions(gql, workspace.token) == [field]


async def test_fields_without_a_position_go_last(gql: GraphQL, workspace: Account):
    # given
    await define_custom_field(gql, workspace, "CUSTOMER", "first", position=5)
    await define_custom_field(gql, workspace, "CONTACT", "of_a_contact", position=9)

    # when
    field = await define_custom_field(gql, workspace, "CUSTOMER", "second")

    # then
    assert field["position"] == 6


async def test_definitions_are_ordered_by_entity_then_position(gql: GraphQL, workspace: Account):
    # given
    await define_custom_field(gql, workspace, "OPPORTUNITY", "deal_source", position=0)
    await define_custom_field(gql, workspace, "CONTACT", "wechat", position=1)
    await define_custom_field(gql, workspace, "CUSTOMER", "region", position=2)
    await define_custom_field(gql, workspace, "CUSTOMER", "employees", "NUMBER", position=1)
    await define_custom_field(gql, workspace, "CONTACT", "birthday", "DATE", position=0)

    # when
    everything = await definitions(gql, workspace.token)
    of_contacts = await definitions(gql, workspace.token, "CONTACT")

    # then
    assert [(d["entity"], d["key"]) for d in everything] == [
        ("CUSTOMER", "employees"),
        ("CUSTOMER", "region"),
        ("CONTACT", "birthday"),
        ("CONTACT", "wechat"),
        ("OPPORTUNITY", "deal_source"),
    ]
    assert [d["key"] for d in of_contacts] == ["birthday", "wechat"]


@pytest.mark.parametrize("role", ["REP", "MANAGER"])
async def test_only_admins_define_change_and_delete(gql: GraphQL, workspace: Account, role: str):
    # given
    colleague = await invite(gql, workspace, role)
    field = await define_custom_field(gql, workspace, "CUSTOMER", "region")
    attempt = {"entity": "CUSTOMER", "key": "mine", "label": "Mine", "type": "TEXT"}

    # when
    defined = await _define(gql, colleague.token, **attempt)
    updated = await _update(gql, colleague.token, field["id"], label="改名")
    deleted = await gql.execute(DELETE_CUSTOM_FIELD, {"id": field["id"]}, colleague.token)

    # then
    assert (defined["customField"], problems(defined)) == (None, [(None, "FORBIDDEN")])
    assert (updated["customField"], problems(updated)) == (None, [(None, "FORBIDDEN")])
    assert problems(deleted.ok()["deleteCustomField"]) == [(None, "FORBIDDEN")]
    assert await definitions(gql, workspace.token) == [field]


@pytest.mark.parametrize("role", ["REP", "MANAGER"])
async def test_every_user_reads_the_definitions(gql: GraphQL, workspace: Account, role: str):
    # given
    colleague = await invite(gql, workspace, role)
    field = await define_custom_field(gql, workspace, "CONTACT", "wechat")

    # when
    seen = await definitions(gql, colleague.token)
    node = (await gql.execute(NODE, {"id": field["id"]}, colleague.token)).ok()["node"]

    # then
    assert seen == [field]
    assert node == {"id": field["id"], "key": "wechat", "label": "Wechat"}


async def test_reading_needs_a_sign_in(gql: GraphQL):
    # when
    result = await gql.execute(DEFINITIONS)

    # then
    assert result.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_other_workspaces_definitions_are_invisible(gql: GraphQL, workspace: Account):
    # given
    stranger = await gql.sign_up(workspace_name="别家公司")
    theirs = await define_custom_field(gql, stranger, "CUSTOMER", "region")

    # when
    mine = await definitions(gql, workspace.token)
    node = (await gql.execute(NODE, {"id": theirs["id"]}, workspace.token)).ok()["node"]
    updated = await _update(gql, workspace.token, theirs["id"], label="偷改")
    deleted = await gql.execute(DELETE_CUSTOM_FIELD, {"id": theirs["id"]}, workspace.token)

    # then
    assert mine == []
    assert node is None
    assert problems(updated) == [("id", "NOT_FOUND")]
    assert problems(deleted.ok()["deleteCustomField"]) == [("id", "NOT_FOUND")]
    assert await definitions(gql, stranger.token) == [theirs]


@pytest.mark.parametrize(
    "key", ["Region", "1st", "_x", "with space", "横向", "a-b", "a" * 51, "re\ngion"]
)
async def test_key_must_be_a_lower_case_identifier(gql: GraphQL, workspace: Account, key: str):
    # when
    payload = await _define(
        gql, workspace.token, entity="CUSTOMER", key=key, label="区域", type="TEXT"
    )

    # then
    assert problems(payload) == [("input.key", "INVALID")]


async def test_key_is_unique_per_entity(gql: GraphQL, workspace: Account):
    # given
    await define_custom_field(gql, workspace, "CUSTOMER", "region")
    other_workspace = await gql.sign_up(workspace_name="别家公司")

    # when
    again = await _define(
        gql, workspace.token, entity="CUSTOMER", key="region", label="区域", type="NUMBER"
    )
    for_contacts = await _define(
        gql, workspace.token, entity="CONTACT", key="region", label="区域", type="TEXT"
    )
    elsewhere = await _define(
        gql, other_workspace.token, entity="CUSTOMER", key="region", label="区域", type="TEXT"
    )

    # then
    assert problems(again) == [("input.key", "DUPLICATE")]
    assert for_contacts["errors"] == []
    assert elsewhere["errors"] == []


@pytest.mark.parametrize("type_", ["SELECT", "MULTI_SELECT"])
@pytest.mark.parametrize("options", [None, [], ["", "  "]])
async def test_select_fields_need_an_option(
    gql: GraphQL, workspace: Account, type_: str, options: list[str] | None
):
    # when
    payload = await _define(
        gql,
        workspace.token,
        entity="CUSTOMER",
        key="grade",
        label="等级",
        type=type_,
        options=options,
    )

    # then
    assert problems(payload) == [("input.options", "REQUIRED")]


async def test_only_select_fields_have_options(gql: GraphQL, workspace: Account):
    # when
    payload = await _define(
        gql,
        workspace.token,
        entity="CUSTOMER",
        key="note",
        label="备注",
        type="TEXT",
        options=["x"],
    )

    # then
    assert problems(payload) == [("input.options", "INVALID")]


async def test_every_problem_of_a_definition_is_reported(gql: GraphQL, workspace: Account):
    # when
    payload = await _define(
        gql,
        workspace.token,
        entity="OPPORTUNITY",
        key="",
        label="   ",
        type="MULTI_SELECT",
        options=["x" * 101],
        position=-1,
    )

    # then
    assert sorted(problems(payload)) == [
        ("input.key", "REQUIRED"),
        ("input.label", "REQUIRED"),
        ("input.options", "INVALID"),
        ("input.position", "INVALID"),
    ]


async def test_admin_changes_label_options_required_and_position(gql: GraphQL, workspace: Account):
    # given
    field = await define_custom_field(
        gql, workspace, "CUSTOMER", "grade", "SELECT", options=["A", "B"]
    )

    # when
    payload = await _update(
        gql,
        workspace.token,
        field["id"],
        label="客户等级",
        options=["A", "B", "C"],
        required=True,
        position=3,
    )

    # then
    assert payload["errors"] == []
    changed = {**field, "label": "客户等级", "options": ["A", "B", "C"], "required": True}
    assert payload["customField"] == {**changed, "position": 3}
    assert await definitions(gql, workspace.token) == [payload["customField"]]


async def test_a_patch_changes_only_what_it_sends(gql: GraphQL, workspace: Account):
    # given
    field = await define_custom_field(gql, workspace, "CUSTOMER", "grade", "SELECT", required=True)

    # when
    payload = await _update(gql, workspace.token, field["id"], label="等级")

    # then
    assert payload["customField"] == {**field, "label": "等级"}


async def test_the_type_cannot_change(gql: GraphQL, workspace: Account):
    # given
    field = await define_custom_field(gql, workspace, "CUSTOMER", "employees", "NUMBER")

    # when
    changed = await _update(gql, workspace.token, field["id"], type="TEXT", label="人数")
    same = await _update(gql, workspace.token, field["id"], type="NUMBER", label="人数")

    # then
    assert problems(changed) == [("input.type", "CONFLICT")]
    assert same["errors"] == []
    assert same["customField"] == {**field, "label": "人数"}


async def test_an_update_is_checked_like_a_definition(gql: GraphQL, workspace: Account):
    # given
    select = await define_custom_field(gql, workspace, "CUSTOMER", "grade", "SELECT")
    text = await define_custom_field(gql, workspace, "CUSTOMER", "note")

    # when
    no_options = await _update(gql, workspace.token, select["id"], options=[], label="")
    options_on_text = await _update(gql, workspace.token, text["id"], options=["x"])
    nulls = await _update(gql, workspace.token, text["id"], required=None, position=None)

    # then
    assert sorted(problems(no_options)) == [
        ("input.label", "REQUIRED"),
        ("input.options", "REQUIRED"),
    ]
    assert problems(options_on_text) == [("input.options", "INVALID")]
    assert sorted(problems(nulls)) == [
        ("input.position", "REQUIRED"),
        ("input.required", "REQUIRED"),
    ]
    assert await definitions(gql, workspace.token) == [select, text]


async def test_admin_deletes_a_field(gql: GraphQL, workspace: Account):
    # given
    kept = await define_custom_field(gql, workspace, "CUSTOMER", "region")
    field = await define_custom_field(gql, workspace, "CUSTOMER", "grade", "SELECT")

    # when
    result = await gql.execute(DELETE_CUSTOM_FIELD, {"id": field["id"]}, workspace.token)

    # then
    assert result.ok()["deleteCustomField"] == {"deletedId": field["id"], "errors": []}
    assert await definitions(gql, workspace.token) == [kept]
    again = await gql.execute(DELETE_CUSTOM_FIELD, {"id": field["id"]}, workspace.token)
    assert problems(again.ok()["deleteCustomField"]) == [("id", "NOT_FOUND")]


async def test_a_deleted_key_can_be_defined_again_with_another_type(
    gql: GraphQL, workspace: Account
):
    # given
    field = await define_custom_field(gql, workspace, "CUSTOMER", "employees", "TEXT")
    await gql.execute(DELETE_CUSTOM_FIELD, {"id": field["id"]}, workspace.token)

    # when
    payload = await _define(
        gql, workspace.token, entity="CUSTOMER", key="employees", label="人数", type="NUMBER"
    )

    # then
    assert payload["errors"] == []
    assert payload["customField"]["type"] == "NUMBER"


async def test_ids_of_another_type_are_not_found(gql: GraphQL, workspace: Account):
    # given
    customer = (
        await gql.execute(
            'mutation { createCustomer(input: {name: "云帆"}) { customer { id } } }',
            token=workspace.token,
        )
    ).ok()["createCustomer"]["customer"]

    # when
    updated = await _update(gql, workspace.token, customer["id"], label="x")
    malformed = await _update(gql, workspace.token, "not-an-id", label="x")

    # then
    assert problems(updated) == [("id", "NOT_FOUND")]
    assert problems(malformed) == [("id", "NOT_FOUND")]
