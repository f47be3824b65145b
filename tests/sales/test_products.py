"""products: the catalogue by name; `search` matches name and SKU."""

from tests.helpers import Account, GraphQL

CREATE_PRODUCT = """
mutation($input: ProductInput!) { createProduct(input: $input) { product { id } errors { field } } }
"""
PRODUCTS = """
query($first: Int, $after: String, $search: String) {
  products(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name sku } }
  }
}
"""


async def _catalogue(gql: GraphQL, account: Account, items: list[tuple[str, str | None]]) -> None:
    for name, sku in items:
        result = await gql.execute(
            CREATE_PRODUCT, {"input": {"name": name, "sku": sku, "unitPrice": "10"}}, account.token
        )
        assert result.ok()["createProduct"]["errors"] == []


def _names(connection: dict) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def test_products_are_by_name_and_page(gql: GraphQL, workspace):
    # given
    await _catalogue(
        gql,
        workspace,
        [("delta", None), ("alpha", "A-1"), ("echo", None), ("charlie", None), ("bravo", None)],
    )

    # when
    first = (await gql.execute(PRODUCTS, {"first": 2}, workspace.token)).ok()["products"]
    second = (
        await gql.execute(
            PRODUCTS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, workspace.token
        )
    ).ok()["products"]
    third = (
        await gql.execute(
            PRODUCTS, {"first": 2, "after": second["pageInfo"]["endCursor"]}, workspace.token
        )
    ).ok()["products"]

    # then
    assert _names(first) == ["alpha", "bravo"]
    assert first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    assert _names(second) == ["charlie", "delta"]
    assert _names(third) == ["echo"]
    assert third["pageInfo"]["hasNextPage"] is False


async def test_search_matches_name_or_sku(gql: GraphQL, workspace):
    # given
    await _catalogue(
        gql,
        workspace,
        [
            ("CRM 专业版", "PRO-2024"),
            ("CRM 基础版", "BASIC-2024"),
            ("实施服务", "SVC-PRO"),
            ("培训", None),
        ],
    )

    # when
    by_name = (await gql.execute(PRODUCTS, {"search": "专业"}, workspace.token)).ok()["products"]
    by_sku = (await gql.execute(PRODUCTS, {"search": "basic"}, workspace.token)).ok()["products"]
    by_both = (await gql.execute(PRODUCTS, {"search": " pro "}, workspace.token)).ok()["products"]
    blank = (await gql.execute(PRODUCTS, {"search": "  "}, workspace.token)).ok()["products"]

    # then
    assert _names(by_name) == ["CRM 专业版"]
    assert _names(by_sku) == ["CRM 基础版"]
    assert _names(by_both) == ["CRM 专业版", "实施服务"]
    assert by_both["totalCount"] == 2
    assert blank["totalCount"] == 4


async def test_products_of_another_workspace_are_not_listed(gql: GraphQL, workspace):
    # given
    other = await gql.sign_up()
    await _catalogue(gql, other, [("别人的产品", "THEIRS")])
    await _catalogue(gql, workspace, [("我的产品", "MINE")])

    # when
    everything = (await gql.execute(PRODUCTS, {}, workspace.token)).ok()["products"]
    searched = (await gql.execute(PRODUCTS, {"search": "THEIRS"}, workspace.token)).ok()["products"]

    # then
    assert _names(everything) == ["我的产品"]
    assert searched["edges"] == []
