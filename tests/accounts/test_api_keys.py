"""createApiKey: a secret shown once, stored as a hash, acting in its workspace until revoked."""

import hashlib
from datetime import UTC, datetime

import pytest

from models import ApiKey, Customer
from tests.documents import document
from tests.helpers import Account, GraphQL

CREATE_API_KEY_DEFAULT_ROLE = """
mutation { createApiKey(name: "ERP sync") { secret errors { field code } } }
"""
INVITE_USER = """
mutation Invite($email: String!, $role: Role!) {
  inviteUser(name: "同事", email: $email, password: "colleague password", role: $role) {
    user { email } errors { field code }
  }
}
"""
LOGIN = """
mutation Login($email: String!) {
  login(email: $email, password: "colleague password") { token errors { code } }
}
"""
CREATE_CUSTOMER = """
mutation Create($name: String!) {
  createCustomer(input: {name: $name}) { customer { id name } errors { field message code } }
}
"""
CUSTOMERS = "{ customers(first: 10) { totalCount edges { node { id name } } } }"
VIEWER = "{ viewer { id } }"
WORKSPACE = "{ workspace { id } }"


async def _create_key(gql: GraphQL, token: str, role: str = "REP") -> dict:
    variables = {"name": "ERP 同步", "role": role}
    return (await gql.execute(document("createApiKey"), variables, token)).ok()["createApiKey"]


async def _secret(gql: GraphQL, token: str, role: str = "REP") -> str:
    payload = await _create_key(gql, token, role)
    assert payload["errors"] == [], payload["errors"]
    return payload["secret"]


async def _member(gql: GraphQL, admin: Account, role: str) -> str:
    email = f"{role.lower()}-{admin.email}"
    invited = (await gql.execute(INVITE_USER, {"email": email, "role": role}, admin.token)).ok()
    assert invited["inviteUser"]["errors"] == []
    return (await gql.execute(LOGIN, {"email": email})).ok()["login"]["token"]


def _split(secret: str) -> tuple[str, str]:
    prefix, _, rest = secret.removeprefix("crm_").partition("_")
    return prefix, rest


async def test_secret_is_returned_once_with_the_crm_prefix(gql: GraphQL, workspace: Account):
    # given / when
    payload = await _create_key(gql, workspace.token)

    # then
    assert payload["errors"] == []
    assert payload["secret"].startswith("crm_")
    assert len(payload["secret"]) > 40


async def test_two_keys_have_different_secrets(gql: GraphQL, workspace: Account):
    # given / when
    first = await _secret(gql, workspace.token)
    second = await _secret(gql, workspace.token)

    # then
    assert first != second
    assert _split(first)[0] != _split(second)[0]


async def test_database_keeps_only_a_sha256_of_the_secret(gql: GraphQL, workspace: Account):
    # given
    secret = await _secret(gql, workspace.token, "MANAGER")
    prefix, random_part = _split(secret)

    # when
    key = await ApiKey.get(prefix=prefix)

    # then
    assert key.secret_hash != secret
    assert key.secret_hash == hashlib.sha256(random_part.encode()).hexdigest()
    stored = " ".join(str(value) for value in dict(key).values())
    assert random_part not in stored
    assert key.role == "MANAGER"
    assert key.name == "ERP 同步"
    assert key.revoked_at is None


async def test_key_acts_in_its_workspace(gql: GraphQL, workspace: Account):
    # given
    secret = await _secret(gql, workspace.token)

    # when
    created = (await gql.execute(CREATE_CUSTOMER, {"name": "来自 ERP 的客户"}, secret)).ok()
    listed = (await gql.execute(CUSTOMERS, token=secret)).ok()

    # then: the key and the admin see the same workspace and the same customer
    customer = created["createCustomer"]["customer"]
    assert created["createCustomer"]["errors"] == []
    assert listed["customers"]["edges"] == [{"node": customer}]
    admin_list = (await gql.execute(CUSTOMERS, token=workspace.token)).ok()
    assert admin_list["customers"]["edges"] == [{"node": customer}]
    key_workspace = (await gql.execute(WORKSPACE, token=secret)).ok()
    admin_workspace = (await gql.execute(WORKSPACE, token=workspace.token)).ok()
    assert key_workspace == admin_workspace


async def test_key_use_is_recorded(gql: GraphQL, workspace: Account):
    # given
    secret = await _secret(gql, workspace.token)
    before = datetime.now(UTC)

    # when
    (await gql.execute(CUSTOMERS, token=secret)).ok()

    # then
    key = await ApiKey.get(prefix=_split(secret)[0])
    assert key.last_used_at is not None
    assert key.last_used_at >= before.replace(microsecond=0)


async def test_viewer_with_a_workspace_key_is_a_top_level_error(gql: GraphQL, workspace: Account):
    # given: an ADMIN key acting as the workspace, not as a user
    variables = {"name": "BI", "role": "ADMIN", "actsAsWorkspace": True}
    secret = (await gql.execute(document("createApiKey"), variables, workspace.token)).ok()[
        "createApiKey"
    ]["secret"]

    # when
    result = await gql.execute(VIEWER, token=secret)

    # then
    assert result.data is None
    assert [e["extensions"]["code"] for e in result.errors] == ["NO_USER"]
    assert "API key" in result.errors[0]["message"]


async def test_viewer_with_a_key_is_the_user_it_acts_as(gql: GraphQL, workspace: Account):
    # given: a key acting as its creator (the default)
    secret = await _secret(gql, workspace.token)

    # when
    result = await gql.execute(VIEWER, token=secret)

    # then
    assert result.ok() == {"viewer": {"id": workspace.user_id}}


async def test_role_defaults_to_rep(gql: GraphQL, workspace: Account):
    # given / when
    payload = (await gql.execute(CREATE_API_KEY_DEFAULT_ROLE, token=workspace.token)).ok()[
        "createApiKey"
    ]

    # then
    assert payload["errors"] == []
    key = await ApiKey.get(prefix=_split(payload["secret"])[0])
    assert key.role == "REP"


async def test_rep_cannot_create_keys(gql: GraphQL, workspace: Account):
    # given
    rep_token = await _member(gql, workspace, "REP")

    # when
    payload = await _create_key(gql, rep_token, "REP")

    # then
    assert payload["secret"] is None
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


async def test_manager_cannot_create_an_admin_key(gql: GraphQL, workspace: Account):
    # given
    manager_token = await _member(gql, workspace, "MANAGER")

    # when
    refused = await _create_key(gql, manager_token, "ADMIN")
    allowed = await _create_key(gql, manager_token, "MANAGER")

    # then
    assert refused["secret"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("role", "FORBIDDEN")]
    assert allowed["errors"] == [] and allowed["secret"].startswith("crm_")


async def test_rep_key_cannot_create_keys(gql: GraphQL, workspace: Account):
    # given
    rep_key = await _secret(gql, workspace.token, "REP")

    # when
    payload = await _create_key(gql, rep_key, "REP")

    # then
    assert payload["secret"] is None
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


@pytest.mark.parametrize("role", ["MANAGER", "ADMIN"])
async def test_a_key_cannot_create_keys_whatever_its_role(
    gql: GraphQL, workspace: Account, role: str
):
    # given: a key of a role that, as a person, may create keys
    key = await _secret(gql, workspace.token, role)
    keys_before = await ApiKey.filter(workspace_id=await _workspace_id(key)).count()

    # when
    payload = await _create_key(gql, key, "REP")

    # then: a leaked key cannot mint itself successors
    assert payload["secret"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "FORBIDDEN")]
    assert "API key" in payload["errors"][0]["message"]
    assert await ApiKey.filter(workspace_id=await _workspace_id(key)).count() == keys_before


async def _workspace_id(secret: str) -> int:
    return (await ApiKey.get(prefix=_split(secret)[0])).workspace_id


async def test_revoked_key_is_unauthenticated(gql: GraphQL, workspace: Account):
    # given
    secret = await _secret(gql, workspace.token)
    (await gql.execute(CUSTOMERS, token=secret)).ok()
    await ApiKey.filter(prefix=_split(secret)[0]).update(revoked_at=datetime.now(UTC))

    # when
    result = await gql.execute(CUSTOMERS, token=secret)

    # then
    assert result.data is None
    assert [e["extensions"]["code"] for e in result.errors] == ["UNAUTHENTICATED"]


async def test_revoked_key_cannot_write(gql: GraphQL, workspace: Account):
    # given
    secret = await _secret(gql, workspace.token)
    await ApiKey.filter(prefix=_split(secret)[0]).update(revoked_at=datetime.now(UTC))
    workspace_id = (await ApiKey.get(prefix=_split(secret)[0])).workspace_id

    # when
    result = await gql.execute(CREATE_CUSTOMER, {"name": "不该存在"}, secret)

    # then
    assert result.data is None
    assert result.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not await Customer.filter(workspace_id=workspace_id, name="不该存在").exists()


async def test_key_with_the_right_prefix_and_a_wrong_secret_is_refused(
    gql: GraphQL, workspace: Account
):
    # given
    prefix, random_part = _split(await _secret(gql, workspace.token))
    last = "B" if random_part.endswith("A") else "A"
    wrong = f"crm_{prefix}_{random_part[:-1]}{last}"

    # when
    result = await gql.execute(CUSTOMERS, token=wrong)

    # then
    assert result.data is None
    assert result.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_create_key_needs_a_signed_in_viewer(gql: GraphQL):
    # given / when
    result = await gql.execute(document("createApiKey"), {"name": "x", "role": "REP"})

    # then
    assert result.data is None
    assert result.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
