"""What every mutation gets from api.core.mutations.perform: the viewer is asked for before
anything else, and the domain's problems (a bad id included) land in the payload with its
other fields null (or their declared default)."""

from __future__ import annotations

from tests.helpers import Account, GraphQL

DELETE_CONTACT = """
mutation($id: ID!) { deleteContact(id: $id) { deletedId errors { field message code } } }
"""
UPDATE_PIPELINE = """
mutation($id: ID!) {
  updatePipeline(id: $id, input: {name: "x"}) { pipeline { id } errors { field code } }
}
"""
RECOMPUTE = """
mutation($ids: [ID!]) { recomputeScores(customerIds: $ids) { queued errors { field code } } }
"""


async def test_without_a_viewer_the_refusal_comes_before_the_arguments_are_read(gql: GraphQL):
    # given: no token, and an id that is no id at all

    # when
    result = await gql.execute(DELETE_CONTACT, {"id": "not an id"})

    # then: UNAUTHENTICATED with its reason, not the id's NOT_FOUND
    assert result.data is None
    assert [e["extensions"] for e in result.errors] == [
        {"code": "UNAUTHENTICATED", "reason": "MISSING"}
    ]


async def test_a_bad_id_is_a_payload_error_at_its_argument(gql: GraphQL, workspace: Account):
    # given / when
    deleted = await gql.execute(DELETE_CONTACT, {"id": "not an id"}, workspace.token)
    updated = await gql.execute(UPDATE_PIPELINE, {"id": "not an id"}, workspace.token)

    # then
    assert deleted.ok()["deleteContact"] == {
        "deletedId": None,
        "errors": [{"field": "id", "message": "Contact not found.", "code": "NOT_FOUND"}],
    }
    assert updated.ok()["updatePipeline"] == {
        "pipeline": None,
        "errors": [{"field": "id", "code": "NOT_FOUND"}],
    }


async def test_a_refused_call_leaves_a_payload_field_at_its_declared_default(
    gql: GraphQL, workspace: Account
):
    # given: a customer id of the wrong type

    # when
    result = await gql.execute(RECOMPUTE, {"ids": ["not an id"]}, workspace.token)

    # then: queued is false (never null), the problem is on customerIds
    payload = result.ok()["recomputeScores"]
    assert payload["queued"] is False
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
