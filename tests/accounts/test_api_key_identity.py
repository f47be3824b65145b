"""Whom an API key acts as: a user (by default its creator), with that user's visibility and
the lower of the key's role and theirs; an ADMIN key may act as the workspace. Who may make
a key act as whom: an ADMIN anyone, a MANAGER themselves or the users they manage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.core.ids import to_global_id
from domain.imports.runner import run_import
from models import ApiKey, Customer, ImportJob, Team, User
from tests.documents import document
from tests.factories import create_api_key, invite, pk, workspace_pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import start_import

VIEWER = "{ viewer { id role } }"
CREATE_CUSTOMER = """
mutation { createCustomer(input: {name: "ERP 客户"}) { customer { owner { id } } errors { code } } }
"""
CREATE_PIPELINE = """
mutation {
  createPipeline(input: {name: "渠道", stages: [
    {name: "洽谈", probability: 10}, {name: "赢单", probability: 100, kind: WON},
    {name: "输单", probability: 0, kind: LOST}
  ]}) { pipeline { id } errors { code message } }
}
"""


async def _create(gql: GraphQL, account: Account, **variables: object) -> dict:
    variables = {"name": "ERP", **variables}
    result = await gql.execute(document("createApiKey"), variables, account.token)
    return result.ok()["createApiKey"]


async def test_a_key_acting_as_a_rep_has_their_role_and_user_id(gql: GraphQL, workspace: Account):
    # given: a MANAGER key acting as a REP
    rep = await invite(gql, workspace, "REP")
    key = await create_api_key(gql, workspace, role="MANAGER", actsAsUserId=rep.user_id)

    # when
    viewer = (await gql.execute(VIEWER, token=key)).ok()["viewer"]
    created = (await gql.execute(CREATE_CUSTOMER, token=key)).ok()["createCustomer"]
    pipeline = (await gql.execute(CREATE_PIPELINE, token=key)).ok()["createPipeline"]

    # then: the REP's identity (what it creates is theirs), and no more than a REP may do
    assert viewer == {"id": rep.user_id, "role": "REP"}
    assert created == {"customer": {"owner": {"id": rep.user_id}}, "errors": []}
    assert [e["code"] for e in pipeline["errors"]] == ["FORBIDDEN"]
    assert "MANAGER" in pipeline["errors"][0]["message"]


async def test_a_key_has_at_most_its_own_role(gql: GraphQL, workspace: Account):
    # given: a REP key acting as the admin, and the control: a MANAGER key acting as them
    rep_key = await create_api_key(gql, workspace, role="REP")
    manager_key = await create_api_key(gql, workspace, role="MANAGER")

    # when
    refused = (await gql.execute(CREATE_PIPELINE, token=rep_key)).ok()["createPipeline"]
    allowed = (await gql.execute(CREATE_PIPELINE, token=manager_key)).ok()["createPipeline"]

    # then
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert allowed["errors"] == []


async def test_a_key_acts_as_its_creator_by_default(gql: GraphQL, workspace: Account):
    # given / when
    payload = await _create(gql, workspace, role="ADMIN")

    # then
    key = payload["apiKey"]
    assert payload["errors"] == []
    assert key["actsAs"] == {"id": workspace.user_id}
    assert key["createdBy"] == {"id": workspace.user_id}
    assert key["role"] == "ADMIN"


async def test_an_admin_key_may_act_as_the_workspace(gql: GraphQL, workspace: Account):
    # given
    payload = await _create(gql, workspace, role="ADMIN", actsAsWorkspace=True)

    # when
    created = (await gql.execute(CREATE_CUSTOMER, token=payload["secret"])).ok()

    # then: nobody's: what it creates has no owner
    assert payload["apiKey"]["actsAs"] is None
    assert created["createCustomer"] == {"customer": {"owner": None}, "errors": []}


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"role": "MANAGER", "actsAsWorkspace": True}, ("actsAsWorkspace", "FORBIDDEN")),
        (
            {"role": "ADMIN", "actsAsWorkspace": True, "actsAsUserId": "me"},
            ("actsAsWorkspace", "INVALID"),
        ),
    ],
    ids=["not-an-admin-key", "both"],
)
async def test_only_an_admin_key_acts_as_the_workspace(
    gql: GraphQL, workspace: Account, variables: dict, expected: tuple[str, str]
):
    # given
    if variables.get("actsAsUserId") == "me":
        variables = {**variables, "actsAsUserId": workspace.user_id}

    # when
    payload = await _create(gql, workspace, **variables)

    # then
    assert payload["secret"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [expected]


@pytest.mark.parametrize(
    "user_id",
    [to_global_id("User", 2**40), "not an id", to_global_id("Customer", 1), "stranger"],
    ids=["missing", "malformed", "another-type", "another-workspace"],
)
async def test_a_key_cannot_act_as_a_user_of_another_workspace(
    gql: GraphQL, workspace: Account, user_id: str
):
    # given
    if user_id == "stranger":
        user_id = (await gql.sign_up()).user_id

    # when
    payload = await _create(gql, workspace, role="REP", actsAsUserId=user_id)

    # then: not found, whatever the reason
    assert payload["secret"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("actsAsUserId", "NOT_FOUND")]


async def _team(workspace: Account, name: str, parent: Team | None = None) -> Team:
    """A team written directly (the teams API is not this test's subject)."""
    team = await Team.create(workspace_id=await workspace_pk(workspace), name=name, parent=parent)
    team.path = f"{parent.path if parent else '/'}{team.id}/"
    await team.save(update_fields=["path"])
    return team


async def _place(account: Account, team: Team) -> None:
    await User.filter(id=pk(account.user_id)).update(team_id=team.id)


async def test_a_manager_keys_act_as_themselves_or_whom_they_manage(
    gql: GraphQL, workspace: Account
):
    # given: a manager of 华东, a rep in its sub-team 上海, a rep in another team 华北
    east = await _team(workspace, "华东")
    shanghai = await _team(workspace, "上海", east)
    north = await _team(workspace, "华北")
    manager = await invite(gql, workspace, "MANAGER")
    managed = await invite(gql, workspace, "REP")
    other = await invite(gql, workspace, "REP")
    await _place(manager, east)
    await _place(managed, shanghai)
    await _place(other, north)

    # when
    own = await _create(gql, manager, role="REP")
    theirs = await _create(gql, manager, role="REP", actsAsUserId=managed.user_id)
    refused = await _create(gql, manager, role="REP", actsAsUserId=other.user_id)
    above = await _create(gql, manager, role="REP", actsAsUserId=workspace.user_id)

    # then
    assert own["errors"] == [] and own["apiKey"]["actsAs"] == {"id": manager.user_id}
    assert theirs["errors"] == [] and theirs["apiKey"]["actsAs"] == {"id": managed.user_id}
    for payload in (refused, above):
        assert payload["secret"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("actsAsUserId", "FORBIDDEN")
        ]


async def test_an_admin_may_make_a_key_act_as_anyone(gql: GraphQL, workspace: Account):
    # given
    manager = await invite(gql, workspace, "MANAGER")

    # when
    payload = await _create(gql, workspace, role="ADMIN", actsAsUserId=manager.user_id)
    viewer = (await gql.execute(VIEWER, token=payload["secret"])).ok()["viewer"]

    # then: the lower role of the two
    assert viewer == {"id": manager.user_id, "role": "MANAGER"}


async def test_a_key_acting_as_a_deactivated_user_is_revoked(gql: GraphQL, workspace: Account):
    # given
    rep = await invite(gql, workspace, "REP")
    key = await create_api_key(gql, workspace, actsAsUserId=rep.user_id)
    (await gql.execute(VIEWER, token=key)).ok()

    # when: deactivated behind the API's back (the deactivateUser door revokes the key too)
    await User.filter(id=pk(rep.user_id)).update(is_active=False)
    result = await gql.execute(VIEWER, token=key)

    # then
    assert result.data is None
    assert [e["extensions"] for e in result.errors] == [
        {"code": "UNAUTHENTICATED", "reason": "REVOKED"}
    ]


async def test_a_key_acting_as_a_rep_imports_as_that_rep(gql: GraphQL, workspace: Account):
    # given
    rep = await invite(gql, workspace, "REP")
    key = await create_api_key(gql, workspace, role="MANAGER", actsAsUserId=rep.user_id)

    # when
    job = await start_import(gql, key, kind="CUSTOMERS", rows=[{"name": "导入客户"}])
    await run_import(pk(job["importJob"]["id"]))

    # then: the customer is the REP's, and the job says it came through the key
    customer = await Customer.get(workspace_id=await workspace_pk(workspace), name="导入客户")
    assert customer.owner_id == pk(rep.user_id)
    stored = await ImportJob.get(id=pk(job["importJob"]["id"]))
    assert stored.api_key_id == (await ApiKey.get(acts_as_id=pk(rep.user_id))).id


async def test_an_import_started_by_a_key_revoked_since_runs_as_nobody(
    gql: GraphQL, workspace: Account
):
    # given: a job started by a key acting as the admin, the key revoked before it runs
    key = await create_api_key(gql, workspace, role="ADMIN")
    job = await start_import(gql, key, kind="CUSTOMERS", rows=[{"name": "迟到的客户"}])
    await ApiKey.filter(prefix=key.split("_")[1]).update(revoked_at=datetime.now(UTC))

    # when
    await run_import(pk(job["importJob"]["id"]))

    # then: with the least role and no user (not as the admin it acted as): nobody's customer
    customer = await Customer.get(workspace_id=await workspace_pk(workspace), name="迟到的客户")
    assert customer.owner_id is None
