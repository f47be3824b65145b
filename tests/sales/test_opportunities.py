"""The opportunities query and customer.opportunities: filters and order."""

from api.core.ids import to_global_id
from models import Pipeline, Stage
from models.enums import StageKind
from tests.factories import create_customer, create_opportunity, default_pipeline, invite, pk
from tests.helpers import Account, GraphQL

OPPORTUNITIES = """
query($first: Int, $after: String, $filter: OpportunityFilter) {
  opportunities(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name status } }
  }
}
"""
CUSTOMER_OPPORTUNITIES = """
query($id: ID!, $status: OpportunityStatus) {
  customer(id: $id) {
    all: opportunities { totalCount edges { node { name } } }
    filtered: opportunities(status: $status) { totalCount edges { node { name status } } }
  }
}
"""
UPDATE_OPPORTUNITY = """
mutation($id: ID!, $input: OpportunityPatch!) {
  updateOpportunity(id: $id, input: $input) { errors { field code } }
}
"""


async def _names(gql: GraphQL, account: Account, **flt) -> list[str]:
    result = await gql.execute(OPPORTUNITIES, {"first": 50, "filter": flt}, account.token)
    return [edge["node"]["name"] for edge in result.ok()["opportunities"]["edges"]]


async def _second_pipeline(gql: GraphQL, account: Account) -> str:
    """Another pipeline in the workspace (created directly: createPipeline is not built yet)."""
    default = await default_pipeline(gql, account)
    workspace_id = (await Pipeline.get(id=pk(default["id"]))).workspace_id
    other = await Pipeline.create(workspace_id=workspace_id, name="渠道", is_default=False)
    for position, (name, probability, kind) in enumerate(
        [("Lead", 5, StageKind.OPEN), ("Won", 100, StageKind.WON), ("Lost", 0, StageKind.LOST)]
    ):
        await Stage.create(
            workspace_id=workspace_id,
            pipeline_id=other.id,
            name=name,
            position=position,
            probability=probability,
            kind=kind,
        )
    return to_global_id("Pipeline", other.id)


async def test_most_recently_changed_first(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    first = await create_opportunity(gql, workspace, customer["id"], name="一")
    await create_opportunity(gql, workspace, customer["id"], name="二")
    await create_opportunity(gql, workspace, customer["id"], name="三")
    assert await _names(gql, workspace) == ["三", "二", "一"]

    # when
    await gql.execute(
        UPDATE_OPPORTUNITY, {"id": first["id"], "input": {"amount": "10"}}, workspace.token
    )

    # then
    assert await _names(gql, workspace) == ["一", "三", "二"]


async def test_opportunities_page(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    for name in ("a", "b", "c"):
        await create_opportunity(gql, workspace, customer["id"], name=name)

    # when
    first = (await gql.execute(OPPORTUNITIES, {"first": 2}, workspace.token)).ok()["opportunities"]
    rest = (
        await gql.execute(
            OPPORTUNITIES, {"first": 2, "after": first["pageInfo"]["endCursor"]}, workspace.token
        )
    ).ok()["opportunities"]

    # then
    assert [e["node"]["name"] for e in first["edges"]] == ["c", "b"]
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in rest["edges"]] == ["a"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_only_the_workspaces_own_opportunities(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    await create_opportunity(
        gql, stranger, (await create_customer(gql, stranger))["id"], name="别人的"
    )
    await create_opportunity(
        gql, workspace, (await create_customer(gql, workspace))["id"], name="我的"
    )

    # when
    names = await _names(gql, workspace)

    # then
    assert names == ["我的"]


async def test_filter_by_pipeline(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    default = await default_pipeline(gql, workspace)
    channel = await _second_pipeline(gql, workspace)
    await create_opportunity(gql, workspace, customer["id"], name="默认")
    await create_opportunity(gql, workspace, customer["id"], name="渠道", pipelineId=channel)

    # when
    in_default = await _names(gql, workspace, pipelineId=default["id"])
    in_channel = await _names(gql, workspace, pipelineId=channel)

    # then
    assert in_default == ["默认"]
    assert in_channel == ["渠道"]


async def test_filter_by_stage(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    stages = (await default_pipeline(gql, workspace))["by_name"]
    await create_opportunity(gql, workspace, customer["id"], name="初步")
    await create_opportunity(
        gql, workspace, customer["id"], name="报价", stageId=stages["Quote"]["id"]
    )

    # when
    at_quote = await _names(gql, workspace, stageId=stages["Quote"]["id"])
    at_contract = await _names(gql, workspace, stageId=stages["Contract"]["id"])

    # then
    assert at_quote == ["报价"]
    assert at_contract == []


async def test_filter_by_status(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    stages = (await default_pipeline(gql, workspace))["by_name"]
    await create_opportunity(gql, workspace, customer["id"], name="进行中")
    await create_opportunity(
        gql, workspace, customer["id"], name="赢单", stageId=stages["Won"]["id"]
    )
    await create_opportunity(
        gql, workspace, customer["id"], name="输单", stageId=stages["Lost"]["id"]
    )

    # when
    by_status = {
        status: await _names(gql, workspace, status=status) for status in ("OPEN", "WON", "LOST")
    }

    # then
    assert by_status == {"OPEN": ["进行中"], "WON": ["赢单"], "LOST": ["输单"]}


async def test_filter_by_owner(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, rep)  # the rep's: they see it
    await create_opportunity(gql, workspace, customer["id"], name="管理员的")
    await create_opportunity(gql, rep, customer["id"], name="销售的")

    # when
    reps = await _names(gql, workspace, ownerId=rep.user_id)
    admins = await _names(gql, workspace, ownerId=workspace.user_id)

    # then
    assert reps == ["销售的"]
    assert admins == ["管理员的"]


async def test_filter_by_customer(gql: GraphQL, workspace):
    # given
    one = await create_customer(gql, workspace)
    other = await create_customer(gql, workspace)
    await create_opportunity(gql, workspace, one["id"], name="甲")
    await create_opportunity(gql, workspace, other["id"], name="乙")

    # when
    names = await _names(gql, workspace, customerId=one["id"])

    # then
    assert names == ["甲"]


async def test_filter_by_expected_close_before(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    await create_opportunity(
        gql, workspace, customer["id"], name="一月", expectedCloseDate="2031-01-15"
    )
    await create_opportunity(
        gql, workspace, customer["id"], name="三月", expectedCloseDate="2031-03-15"
    )
    await create_opportunity(gql, workspace, customer["id"], name="未定")

    # when
    names = await _names(gql, workspace, expectedCloseBefore="2031-02-01")

    # then
    assert names == ["一月"]


async def test_filters_combine(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, rep)  # the rep's: they see it
    won = (await default_pipeline(gql, workspace))["by_name"]["Won"]
    await create_opportunity(gql, rep, customer["id"], name="销售赢单", stageId=won["id"])
    await create_opportunity(gql, rep, customer["id"], name="销售进行中")
    await create_opportunity(gql, workspace, customer["id"], name="管理员赢单", stageId=won["id"])

    # when
    names = await _names(gql, workspace, ownerId=rep.user_id, status="WON")

    # then
    assert names == ["销售赢单"]


async def test_an_id_of_another_workspace_or_type_matches_nothing(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    customer = await create_customer(gql, workspace)
    await create_opportunity(gql, workspace, customer["id"], name="我的")

    # when
    foreign_owner = await _names(gql, workspace, ownerId=stranger.user_id)
    wrong_type = await _names(gql, workspace, customerId=workspace.user_id)
    malformed = await _names(gql, workspace, pipelineId="nonsense")

    # then
    assert (foreign_owner, wrong_type, malformed) == ([], [], [])


async def test_customer_opportunities_by_status(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    other = await create_customer(gql, workspace)
    lost = (await default_pipeline(gql, workspace))["by_name"]["Lost"]
    await create_opportunity(gql, workspace, customer["id"], name="开放一")
    await create_opportunity(gql, workspace, customer["id"], name="丢了", stageId=lost["id"])
    await create_opportunity(gql, workspace, customer["id"], name="开放二")
    await create_opportunity(gql, workspace, other["id"], name="别的客户")

    # when
    result = await gql.execute(
        CUSTOMER_OPPORTUNITIES, {"id": customer["id"], "status": "OPEN"}, workspace.token
    )

    # then
    data = result.ok()["customer"]
    assert [e["node"]["name"] for e in data["filtered"]["edges"]] == ["开放二", "开放一"]
    assert {e["node"]["status"] for e in data["filtered"]["edges"]} == {"OPEN"}
    assert data["filtered"]["totalCount"] == 2
    assert data["all"]["totalCount"] == 3
    assert [e["node"]["name"] for e in data["all"]["edges"]] == ["开放二", "丢了", "开放一"]
