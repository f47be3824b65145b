"""pipelines: a new workspace starts with one default B2B pipeline."""

from tests.helpers import GraphQL

PIPELINES = """
{
  pipelines {
    id name isDefault
    stages { id name position probability kind checklist { id title required } }
  }
}
"""


async def test_a_new_workspace_has_one_default_pipeline(gql: GraphQL, workspace):
    # when
    result = await gql.execute(PIPELINES, token=workspace.token)

    # then
    pipelines = result.ok()["pipelines"]
    assert len(pipelines) == 1
    assert pipelines[0]["isDefault"] is True
    assert pipelines[0]["name"]


async def test_default_stages_in_position_order(gql: GraphQL, workspace):
    # when
    result = await gql.execute(PIPELINES, token=workspace.token)

    # then
    stages = result.ok()["pipelines"][0]["stages"]
    assert [(s["name"], s["kind"], s["probability"]) for s in stages] == [
        ("Qualification", "OPEN", 10),
        ("Needs analysis", "OPEN", 25),
        ("Quote", "OPEN", 50),
        ("Contract", "OPEN", 80),
        ("Won", "WON", 100),
        ("Lost", "LOST", 0),
    ]
    positions = [s["position"] for s in stages]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)


async def test_default_stages_have_checklists(gql: GraphQL, workspace):
    # when
    result = await gql.execute(PIPELINES, token=workspace.token)

    # then
    checklists = {
        stage["name"]: [(item["title"], item["required"]) for item in stage["checklist"]]
        for stage in result.ok()["pipelines"][0]["stages"]
    }
    assert checklists == {
        "Qualification": [("Identify the decision maker", False)],
        "Needs analysis": [("Confirm the budget", False)],
        "Quote": [("Send the quote", False)],
        "Contract": [("Contract signed", False)],
        "Won": [],
        "Lost": [],
    }
    items = [item for stage in result.ok()["pipelines"][0]["stages"] for item in stage["checklist"]]
    assert len({item["id"] for item in items}) == len(items)


async def test_each_workspace_sees_only_its_own_pipeline(gql: GraphQL, workspace):
    # given
    other = await gql.sign_up()

    # when
    mine = (await gql.execute(PIPELINES, token=workspace.token)).ok()["pipelines"]
    theirs = (await gql.execute(PIPELINES, token=other.token)).ok()["pipelines"]

    # then
    assert [p["id"] for p in mine] != [p["id"] for p in theirs]
    assert len(theirs) == 1
    mine_stages = {s["id"] for s in mine[0]["stages"]}
    assert mine_stages.isdisjoint(s["id"] for s in theirs[0]["stages"])
