"""createTeam, updateTeam, moveUser, the teams query, User.team and inviting into a team."""

from __future__ import annotations

import uuid

from models import Team, User
from tests.documents import document
from tests.factories.accounts import invite
from tests.factories.calls import mutate, mutate_ok
from tests.factories.ids import pk
from tests.factories.teams import create_team, member
from tests.helpers import Account, GraphQL, problems


async def test_a_tree_of_teams_lists_each_parent_before_its_children(
    gql: GraphQL, workspace: Account
) -> None:
    # given
    sales = await create_team(gql, workspace, "销售部")
    north = await create_team(gql, workspace, "华北", sales["id"])
    rep = await member(gql, workspace, north["id"])
    # when
    teams = (await gql.execute(document("teams"), token=workspace.token)).ok()["teams"]
    # then
    assert [(t["name"], t["depth"]) for t in teams] == [("销售部", 1), ("华北", 2)]
    assert teams[0]["children"] == [{"id": north["id"], "name": "华北"}]
    assert teams[1]["parent"] == {"id": sales["id"]}
    assert teams[1]["members"]["edges"][0]["node"] == {
        "id": rep.user_id,
        "name": "REP 同事",
        "team": {"id": north["id"]},
    }


async def test_a_duplicate_name_under_one_parent_is_refused(
    gql: GraphQL, workspace: Account
) -> None:
    # given
    sales = await create_team(gql, workspace, "销售部")
    await create_team(gql, workspace, "华北", sales["id"])
    # when
    root = await mutate(gql, workspace, "createTeam", input={"name": "销售部"})
    child = await mutate(
        gql, workspace, "createTeam", input={"name": "华北", "parentId": sales["id"]}
    )
    # then
    assert problems(root) == [("input.name", "DUPLICATE")]
    assert problems(child) == [("input.name", "DUPLICATE")]


async def test_an_unknown_or_foreign_parent_is_not_found(gql: GraphQL, workspace: Account) -> None:
    # given
    elsewhere = await gql.sign_up()
    theirs = await create_team(gql, elsewhere, "别家")
    # when
    payload = await mutate(
        gql, workspace, "createTeam", input={"name": "x", "parentId": theirs["id"]}
    )
    # then
    assert problems(payload) == [("input.parentId", "NOT_FOUND")]


async def test_moving_a_team_rewrites_the_paths_of_its_whole_subtree(
    gql: GraphQL, workspace: Account
) -> None:
    # given: a / b / c, and d
    a = await create_team(gql, workspace, "A")
    b = await create_team(gql, workspace, "B", a["id"])
    c = await create_team(gql, workspace, "C", b["id"])
    d = await create_team(gql, workspace, "D")
    # when: b moves under d
    payload = await mutate_ok(gql, workspace, "updateTeam", id=b["id"], input={"parentId": d["id"]})
    # then
    assert payload["team"]["depth"] == 2
    paths = {t.id: t.path for t in await Team.filter(id__in=[pk(x["id"]) for x in (a, b, c, d)])}
    assert paths[pk(b["id"])] == f"/{pk(d['id'])}/{pk(b['id'])}/"
    assert paths[pk(c["id"])] == f"/{pk(d['id'])}/{pk(b['id'])}/{pk(c['id'])}/"
    assert paths[pk(a["id"])] == f"/{pk(a['id'])}/"
    # and to the root again
    await mutate_ok(gql, workspace, "updateTeam", id=b["id"], input={"parentId": None})
    c_row = await Team.get(id=pk(c["id"]))
    assert c_row.path == f"/{pk(b['id'])}/{pk(c['id'])}/"


async def test_moving_a_team_under_itself_or_below_it_is_a_cycle(
    gql: GraphQL, workspace: Account
) -> None:
    # given
    a = await create_team(gql, workspace, "A")
    b = await create_team(gql, workspace, "B", a["id"])
    # when
    below = await mutate(gql, workspace, "updateTeam", id=a["id"], input={"parentId": b["id"]})
    itself = await mutate(gql, workspace, "updateTeam", id=a["id"], input={"parentId": a["id"]})
    # then
    assert problems(below) == [("input.parentId", "CYCLE")]
    assert problems(itself) == [("input.parentId", "CYCLE")]
    assert (await Team.get(id=pk(a["id"]))).parent_id is None


async def test_renaming_into_a_sibling_name_is_a_duplicate(
    gql: GraphQL, workspace: Account
) -> None:
    # given
    await create_team(gql, workspace, "A")
    b = await create_team(gql, workspace, "B")
    # when
    payload = await mutate(gql, workspace, "updateTeam", id=b["id"], input={"name": "A"})
    # then
    assert problems(payload) == [("input.name", "DUPLICATE")]


async def test_move_user_and_out_of_every_team(gql: GraphQL, workspace: Account) -> None:
    # given
    team = await create_team(gql, workspace, "A")
    rep = await invite(gql, workspace)
    # when
    moved = await mutate_ok(gql, workspace, "moveUser", userId=rep.user_id, teamId=team["id"])
    out = await mutate_ok(gql, workspace, "moveUser", userId=rep.user_id, teamId=None)
    # then
    assert moved["user"]["team"] == {"id": team["id"], "name": "A"}
    assert out["user"]["team"] is None


async def test_invite_into_a_team(gql: GraphQL, workspace: Account) -> None:
    # given
    team = await create_team(gql, workspace, "A")
    # when
    payload = await mutate_ok(
        gql,
        workspace,
        "inviteUser",
        name="新人",
        email=f"new-{uuid.uuid4().hex[:8]}@example.com",
        password="another horse battery",
        teamId=team["id"],
    )
    # then
    members = (await gql.execute(document("teams"), token=workspace.token)).ok()["teams"][0]
    assert [e["node"]["id"] for e in members["members"]["edges"]] == [payload["user"]["id"]]


async def test_a_rep_manages_no_team(gql: GraphQL, workspace: Account) -> None:
    # given
    team = await create_team(gql, workspace, "A")
    rep = await member(gql, workspace, team["id"])
    # when
    created = await mutate(gql, rep, "createTeam", input={"name": "B", "parentId": team["id"]})
    moved = await mutate(gql, rep, "moveUser", userId=rep.user_id, teamId=None)
    # then
    assert problems(created) == [(None, "FORBIDDEN")]
    assert problems(moved) == [(None, "FORBIDDEN")]


async def test_a_manager_manages_their_own_subtree_only(gql: GraphQL, workspace: Account) -> None:
    # given: sales / north (the manager's) / beijing, and support beside sales
    sales = await create_team(gql, workspace, "销售部")
    north = await create_team(gql, workspace, "华北", sales["id"])
    support = await create_team(gql, workspace, "客服部")
    manager = await member(gql, workspace, north["id"], "MANAGER")
    rep = await member(gql, workspace, north["id"])
    outsider = await member(gql, workspace, support["id"])
    # when / then: within their subtree
    beijing = await mutate_ok(
        gql, manager, "createTeam", input={"name": "北京", "parentId": north["id"]}
    )
    beijing_id = beijing["team"]["id"]
    await mutate_ok(gql, manager, "moveUser", userId=rep.user_id, teamId=beijing_id)
    await mutate_ok(gql, manager, "updateTeam", id=beijing_id, input={"name": "北京一组"})
    # and outside it
    refused = [
        await mutate(gql, manager, "createTeam", input={"name": "x", "parentId": support["id"]}),
        await mutate(gql, manager, "createTeam", input={"name": "root"}),
        await mutate(gql, manager, "updateTeam", id=north["id"], input={"name": "mine"}),
        await mutate(gql, manager, "updateTeam", id=beijing_id, input={"parentId": support["id"]}),
        await mutate(gql, manager, "moveUser", userId=outsider.user_id, teamId=beijing_id),
        await mutate(gql, manager, "moveUser", userId=rep.user_id, teamId=support["id"]),
        await mutate(gql, manager, "moveUser", userId=rep.user_id, teamId=None),
        await mutate(gql, manager, "moveUser", userId=manager.user_id, teamId=beijing_id),
    ]
    assert [problems(payload) for payload in refused] == [[(None, "FORBIDDEN")]] * len(refused)


async def test_leaving_out_the_team_is_not_taken_for_no_team(
    gql: GraphQL, workspace: Account
) -> None:
    # given
    team = await create_team(gql, workspace, "A")
    rep = await member(gql, workspace, team["id"])
    # when
    result = await gql.execute(
        "mutation($u: ID!) { moveUser(userId: $u) { errors { field code } } }",
        {"u": rep.user_id},
        workspace.token,
    )
    # then
    assert result.ok()["moveUser"]["errors"] == [{"field": "teamId", "code": "REQUIRED"}]
    assert (await User.get(id=pk(rep.user_id))).team_id == pk(team["id"])
