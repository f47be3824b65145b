from tests.helpers import GraphQL

VIEWER = "{ viewer { id name email role timezone } workspace { id name timezone } }"


async def test_sign_up_creates_workspace_with_admin(gql: GraphQL):
    # given
    account = await gql.sign_up(workspace_name="云帆科技")

    # when
    data = (await gql.execute(VIEWER, token=account.token)).ok()

    # then
    assert data["viewer"]["email"] == account.email
    assert data["viewer"]["role"] == "ADMIN"
    assert data["workspace"]["name"] == "云帆科技"


async def test_no_token_is_unauthenticated_and_returns_no_data(gql: GraphQL):
    result = await gql.execute(VIEWER)

    assert result.data is None
    assert result.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
