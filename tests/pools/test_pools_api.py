"""Pools and their rules through the API: the default pool, createPool and updatePool with
their validation, who may change them, and who sees which."""

from __future__ import annotations

from models import CustomerPool
from tests.documents import document
from tests.factories import gid, invite, mutate, mutate_ok, pk
from tests.helpers import Account, GraphQL, problems
from tests.pools.support import pool_of, pooled_customer, team_by_hand


async def _pools(gql: GraphQL, account: Account) -> list[dict]:
    return (await gql.execute(document("pools"), token=account.token)).ok()["pools"]


async def test_a_workspace_has_a_default_pool_with_every_return_rule_off(
    gql: GraphQL, workspace: Account
):
    # when
    pools = await _pools(gql, workspace)

    # then
    assert [(p["name"], p["isDefault"], p["teamId"]) for p in pools] == [("公海", True, None)]
    (default,) = pools
    assert (default["noActivityDays"], default["noOpenDealDays"], default["noWonDealDays"]) == (
        None,
        None,
        None,
    )


async def test_an_admin_creates_a_team_pool_with_every_rule(gql: GraphQL, workspace: Account):
    # given
    team = await team_by_hand(workspace, "华东")
    rules = {
        "name": "华东公海",
        "teamId": gid("Team", team.id),
        "noActivityDays": 30,
        "noOpenDealDays": 60,
        "noWonDealDays": 180,
        "kinds": ["COMPANY"],
        "scoreMin": 0,
        "scoreMax": 60.5,
        "exemptDealProbability": 70,
        "warnDaysBefore": 5,
        "maxLocksPerRep": 2,
        "maxCustomersPerRep": 100,
        "maxClaimsPerDay": 10,
        "claimCooldownDays": 14,
        "maskContacts": False,
    }

    # when
    pool = await pool_of(gql, workspace, **rules)

    # then
    assert {key: pool[key] for key in rules} == rules
    assert not pool["isDefault"]
    assert [p["name"] for p in await _pools(gql, workspace)] == ["公海", "华东公海"]


async def test_rules_out_of_range_are_refused_each_at_its_field(gql: GraphQL, workspace: Account):
    # when
    payload = await mutate(
        gql,
        workspace,
        "createPool",
        input={
            "name": " ",
            "noActivityDays": 0,
            "scoreMin": 80,
            "scoreMax": 20,
            "exemptDealProbability": 101,
            "warnDaysBefore": 0,
            "maxClaimsPerDay": -1,
            "teamId": gid("Team", 999_999_999),
        },
    )

    # then
    assert payload["pool"] is None
    assert sorted(problems(payload)) == sorted(
        [
            ("input.name", "REQUIRED"),
            ("input.noActivityDays", "INVALID"),
            ("input.scoreMin", "INVALID"),
            ("input.exemptDealProbability", "INVALID"),
            ("input.warnDaysBefore", "INVALID"),
            ("input.maxClaimsPerDay", "INVALID"),
            ("input.teamId", "NOT_FOUND"),
        ]
    )


async def test_names_are_unique_and_a_team_has_one_pool(gql: GraphQL, workspace: Account):
    # given
    team = await team_by_hand(workspace, "华北")
    await pool_of(gql, workspace, name="华北公海", teamId=gid("Team", team.id))

    # when
    same_name = await mutate(gql, workspace, "createPool", input={"name": "华北公海"})
    default_name = await mutate(gql, workspace, "createPool", input={"name": "公海"})
    same_team = await mutate(
        gql, workspace, "createPool", input={"name": "another", "teamId": gid("Team", team.id)}
    )

    # then
    assert problems(same_name) == [("input.name", "DUPLICATE")]
    assert problems(default_name) == [("input.name", "DUPLICATE")]
    assert problems(same_team) == [("input.teamId", "DUPLICATE")]


async def test_update_changes_only_what_is_sent_and_null_turns_a_rule_off(
    gql: GraphQL, workspace: Account
):
    # given
    pool = await pool_of(gql, workspace, noActivityDays=30, noWonDealDays=90, scoreMax=50)

    # when
    updated = await mutate_ok(
        gql,
        workspace,
        "updatePool",
        id=pool["id"],
        input={"noActivityDays": None, "warnDaysBefore": 2, "scoreMin": 10},
    )

    # then
    after = updated["pool"]
    assert (after["noActivityDays"], after["noWonDealDays"]) == (None, 90)
    assert (after["warnDaysBefore"], after["scoreMin"], after["scoreMax"]) == (2, 10, 50)

    # when: a band that would be upside down, a required limit nulled
    refused = await mutate(
        gql,
        workspace,
        "updatePool",
        id=pool["id"],
        input={"scoreMin": 70, "claimCooldownDays": None, "maskContacts": None},
    )

    # then
    assert sorted(problems(refused)) == [
        ("input.claimCooldownDays", "REQUIRED"),
        ("input.maskContacts", "REQUIRED"),
        ("input.scoreMin", "INVALID"),
    ]
    assert (await CustomerPool.get(id=pk(pool["id"]))).score_min == 10


async def test_only_an_admin_changes_pools(gql: GraphQL, workspace: Account):
    # given
    manager = await invite(gql, workspace, "MANAGER")
    default = (await _pools(gql, workspace))[0]

    # when
    created = await mutate(gql, manager, "createPool", input={"name": "mine"})
    updated = await mutate(
        gql, manager, "updatePool", id=default["id"], input={"noActivityDays": 1}
    )

    # then
    assert problems(created) == [(None, "FORBIDDEN")]
    assert problems(updated) == [(None, "FORBIDDEN")]


async def test_a_rep_sees_the_default_pool_and_their_teams_not_another_teams(
    gql: GraphQL, workspace: Account
):
    # given: two teams, each with its pool, and a rep in the first
    rep = await invite(gql, workspace)
    east = await team_by_hand(workspace, "东区", rep)
    west = await team_by_hand(workspace, "西区")
    await pool_of(gql, workspace, name="东区公海", teamId=gid("Team", east.id))
    west_pool = await pool_of(gql, workspace, name="西区公海", teamId=gid("Team", west.id))

    # when
    seen = [p["name"] for p in await _pools(gql, rep)]
    by_id = await gql.execute(
        "query($id: ID!) { node(id: $id) { id } }", {"id": west_pool["id"]}, rep.token
    )
    updated_by_admin = await mutate(
        gql, workspace, "updatePool", id=west_pool["id"], input={"name": "西区"}
    )

    # then
    assert seen == ["公海", "东区公海"]
    assert by_id.ok()["node"] is None
    assert problems(updated_by_admin) == []


async def test_a_pooled_customer_names_its_pool(gql: GraphQL, workspace: Account):
    # given
    customer = await pooled_customer(gql, workspace)

    # when
    read = await gql.execute(
        "query($id: ID!) { customer(id: $id) { owner { id } pooledAt pool { name isDefault } } }",
        {"id": customer["id"]},
        workspace.token,
    )

    # then
    found = read.ok()["customer"]
    assert found["owner"] is None
    assert found["pooledAt"] is not None
    assert found["pool"] == {"name": "公海", "isDefault": True}
