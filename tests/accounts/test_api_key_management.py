"""apiKeys (who sees which keys, their last use, never their secrets) and revokeApiKey (an ADMIN
or the key's creator; idempotent; the key's token REVOKED from then on)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.core.ids import to_global_id
from models import ApiKey
from tests.documents import document
from tests.factories import invite, mutate, pk
from tests.helpers import Account, GraphQL

VIEWER = "{ viewer { id } }"


async def _create(gql: GraphQL, account: Account | str, **variables: object) -> dict:
    token = account.token if isinstance(account, Account) else account
    variables = {"name": "ERP 同步", **variables}
    payload = (await gql.execute(document("createApiKey"), variables, token)).ok()["createApiKey"]
    assert payload["errors"] == [], payload["errors"]
    return payload


async def _listed(gql: GraphQL, token: str) -> list[dict]:
    result = (await gql.execute(document("apiKeys"), {"first": 50}, token)).ok()["apiKeys"]
    assert result["totalCount"] == len(result["edges"])
    return [edge["node"] for edge in result["edges"]]


async def test_the_listing_shows_each_key_but_never_its_secret(gql: GraphQL, workspace: Account):
    # given
    first = await _create(gql, workspace, name="ERP", scopes=["READ"])
    second = await _create(gql, workspace, name="BI", role="ADMIN", actsAsWorkspace=True)

    # when
    listed = await _listed(gql, workspace.token)

    # then: newest first, as created, nothing of the secrets
    assert listed == [second["apiKey"], first["apiKey"]]
    assert listed[1]["prefix"] == first["secret"].split("_")[1]
    assert (listed[1]["name"], listed[1]["role"], listed[1]["scopes"]) == ("ERP", "REP", ["READ"])
    assert listed[1]["actsAs"] == listed[1]["createdBy"] == {"id": workspace.user_id}
    assert listed[0]["actsAs"] is None
    assert listed[1]["lastUsedAt"] is None and listed[1]["revokedAt"] is None
    for payload in (first, second):
        assert payload["secret"].split("_", 2)[2] not in str(listed)


async def test_last_used_at_moves_after_a_use(gql: GraphQL, workspace: Account):
    # given: a key never used, then used
    payload = await _create(gql, workspace)
    [never] = await _listed(gql, workspace.token)
    (await gql.execute(VIEWER, token=payload["secret"])).ok()
    [used] = await _listed(gql, workspace.token)

    # when: its last use recorded more than a minute ago, then a use
    earlier = datetime.now(UTC) - timedelta(minutes=5)
    await ApiKey.filter(id=pk(payload["apiKey"]["id"])).update(last_used_at=earlier)
    (await gql.execute(VIEWER, token=payload["secret"])).ok()
    [again] = await _listed(gql, workspace.token)

    # then
    assert never["lastUsedAt"] is None
    assert used["lastUsedAt"] is not None
    assert datetime.fromisoformat(again["lastUsedAt"]) > earlier + timedelta(minutes=4)


async def test_uses_within_a_minute_are_recorded_once(gql: GraphQL, workspace: Account):
    # given: a key used a moment ago
    payload = await _create(gql, workspace)
    (await gql.execute(VIEWER, token=payload["secret"])).ok()
    recent = datetime.now(UTC) - timedelta(seconds=10)
    await ApiKey.filter(id=pk(payload["apiKey"]["id"])).update(last_used_at=recent)

    # when
    (await gql.execute(VIEWER, token=payload["secret"])).ok()

    # then: not written again
    stored = await ApiKey.get(id=pk(payload["apiKey"]["id"]))
    assert stored.last_used_at == recent


async def test_who_sees_which_keys(gql: GraphQL, workspace: Account):
    # given: keys by the admin (one acting as the rep) and by a manager
    manager = await invite(gql, workspace, "MANAGER")
    rep = await invite(gql, workspace, "REP")
    await _create(gql, workspace, name="admin's")
    await _create(gql, workspace, name="acting as the rep", actsAsUserId=rep.user_id)
    await _create(gql, manager, name="manager's")

    # when
    seen = {
        who: [key["name"] for key in await _listed(gql, account.token)]
        for who, account in (("admin", workspace), ("manager", manager), ("rep", rep))
    }

    # then: an admin every key; others those they created or that act as them
    assert seen == {
        "admin": ["manager's", "acting as the rep", "admin's"],
        "manager": ["manager's"],
        "rep": ["acting as the rep"],
    }


async def test_a_key_cannot_list_keys(gql: GraphQL, workspace: Account):
    # given
    payload = await _create(gql, workspace, role="ADMIN")

    # when
    result = await gql.execute(document("apiKeys"), {"first": 5}, payload["secret"])

    # then
    assert result.data is None
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"]


async def test_a_revoked_key_is_refused_as_revoked(gql: GraphQL, workspace: Account):
    # given
    payload = await _create(gql, workspace)
    (await gql.execute(VIEWER, token=payload["secret"])).ok()

    # when
    revoked = await mutate(gql, workspace, "revokeApiKey", id=payload["apiKey"]["id"])
    result = await gql.execute(VIEWER, token=payload["secret"])

    # then
    assert revoked["errors"] == []
    assert revoked["apiKey"]["revokedAt"] is not None
    assert result.data is None
    assert [e["extensions"] for e in result.errors] == [
        {"code": "UNAUTHENTICATED", "reason": "REVOKED"}
    ]


async def test_revoking_twice_keeps_the_first_revocation(gql: GraphQL, workspace: Account):
    # given
    payload = await _create(gql, workspace)
    first = await mutate(gql, workspace, "revokeApiKey", id=payload["apiKey"]["id"])

    # when
    second = await mutate(gql, workspace, "revokeApiKey", id=payload["apiKey"]["id"])

    # then
    assert second["errors"] == []
    assert second["apiKey"]["revokedAt"] == first["apiKey"]["revokedAt"]


async def test_the_creator_or_an_admin_revokes(gql: GraphQL, workspace: Account):
    # given: a manager's key, one acting as a rep, and another manager
    manager = await invite(gql, workspace, "MANAGER")
    other_manager = await invite(gql, workspace, "MANAGER")
    rep = await invite(gql, workspace, "REP")
    managers = await _create(gql, manager)
    admins_for_rep = await _create(gql, workspace, actsAsUserId=rep.user_id)
    another = await _create(gql, manager)

    # when
    by_stranger = await mutate(gql, other_manager, "revokeApiKey", id=managers["apiKey"]["id"])
    by_user_acted_as = await mutate(gql, rep, "revokeApiKey", id=admins_for_rep["apiKey"]["id"])
    by_creator = await mutate(gql, manager, "revokeApiKey", id=managers["apiKey"]["id"])
    by_admin = await mutate(gql, workspace, "revokeApiKey", id=another["apiKey"]["id"])

    # then: a key the caller does not see is not found; one they see but did not create,
    # forbidden
    assert [(e["field"], e["code"]) for e in by_stranger["errors"]] == [("id", "NOT_FOUND")]
    assert [e["code"] for e in by_user_acted_as["errors"]] == ["FORBIDDEN"]
    assert by_creator["errors"] == [] and by_admin["errors"] == []
    assert await ApiKey.filter(id=pk(admins_for_rep["apiKey"]["id"]), revoked_at=None).exists()


async def test_a_key_cannot_revoke_keys(gql: GraphQL, workspace: Account):
    # given
    payload = await _create(gql, workspace, role="ADMIN")
    other = await _create(gql, workspace)

    # when
    refused = await mutate(gql, payload["secret"], "revokeApiKey", id=other["apiKey"]["id"])

    # then
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert await ApiKey.filter(id=pk(other["apiKey"]["id"]), revoked_at=None).exists()


async def test_another_workspaces_key_is_not_found(gql: GraphQL, workspace: Account):
    # given
    stranger = await gql.sign_up()
    theirs = await _create(gql, stranger)

    # when
    revoked = await mutate(gql, workspace, "revokeApiKey", id=theirs["apiKey"]["id"])
    missing = await mutate(gql, workspace, "revokeApiKey", id=to_global_id("ApiKey", 2**40))
    node = await gql.execute(
        "query($id: ID!) { node(id: $id) { id } }", {"id": theirs["apiKey"]["id"]}, workspace.token
    )

    # then: as a key that does not exist
    assert revoked == missing == {"apiKey": None, "errors": revoked["errors"]}
    assert [(e["field"], e["code"]) for e in revoked["errors"]] == [("id", "NOT_FOUND")]
    assert node.ok() == {"node": None}
    assert await ApiKey.filter(id=pk(theirs["apiKey"]["id"]), revoked_at=None).exists()
