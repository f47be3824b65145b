"""A workspace has at most MAX_PIPELINES pipelines: `pipelines` is read whole, with each
pipeline's stages and their checklists, and the query cost counts these bounds."""

from __future__ import annotations

from domain.pipelines import MAX_PIPELINES
from models import Pipeline, User
from tests.documents import document
from tests.factories import b2b_stages, create_pipeline, pk
from tests.helpers import Account, GraphQL

PIPELINES = "{ pipelines { id name isDefault } }"


async def _plant(account: Account, count: int, first: int = 0) -> None:
    """Pipelines stored without the API (before the rule, or by hand)."""
    admin = await User.get(id=pk(account.user_id))
    await Pipeline.bulk_create(
        [
            Pipeline(workspace_id=admin.workspace_id, name=f"渠道 {n}", is_default=False)
            for n in range(first, first + count)
        ]
    )


async def test_the_last_pipeline_a_workspace_may_have_is_created(gql: GraphQL, workspace: Account):
    # given: the default pipeline and all but one of the others
    await _plant(workspace, MAX_PIPELINES - 2)

    # when
    pipeline = await create_pipeline(gql, workspace)

    # then
    assert pipeline["name"] == "大客户销售"


async def test_one_pipeline_more_is_refused_naming_the_limit(gql: GraphQL, workspace: Account):
    # given: the default pipeline and MAX_PIPELINES - 1 others
    await _plant(workspace, MAX_PIPELINES - 1)

    # when
    result = await gql.execute(
        document("createPipeline"),
        {"input": {"name": "再来一个", "stages": b2b_stages()}},
        workspace.token,
    )

    # then
    payload = result.ok()["createPipeline"]
    assert payload["pipeline"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == (None, "CONFLICT")
    assert f"at most {MAX_PIPELINES} pipelines" in error["message"]


async def test_no_more_pipelines_are_read_than_the_bound(gql: GraphQL, workspace: Account):
    # given: ten more than the bound, stored before the rule
    await _plant(workspace, MAX_PIPELINES + 10)

    # when
    pipelines = (await gql.execute(PIPELINES, token=workspace.token)).ok()["pipelines"]

    # then: the default one first, then the oldest
    assert len(pipelines) == MAX_PIPELINES
    assert pipelines[0]["isDefault"] and pipelines[0]["name"] == "Sales"
    assert [p["name"] for p in pipelines[1:4]] == ["渠道 0", "渠道 1", "渠道 2"]
