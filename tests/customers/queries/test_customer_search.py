"""customers(filter: {search}): names, e-mails, external ids, phones, and the contacts' too."""

import pytest

from tests.factories import create_customer
from tests.helpers import GraphQL

SEARCH = """
query Search($search: String!) {
  customers(first: 50, filter: {search: $search}) {
    totalCount
    edges { node { id name } }
  }
}
"""


async def search(gql: GraphQL, token: str, text: str) -> list[str]:
    """Names found (sorted), after checking that totalCount agrees with the page."""
    connection = (await gql.execute(SEARCH, {"search": text}, token)).ok()["customers"]
    names = [edge["node"]["name"] for edge in connection["edges"]]
    assert connection["totalCount"] == len(names)
    return sorted(names)


async def test_search_finds_a_chinese_substring_of_the_name(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="上海云帆科技有限公司")
    await create_customer(gql, workspace, name="北京星河贸易有限公司")

    # when / then
    assert await search(gql, workspace.token, "云帆") == ["上海云帆科技有限公司"]
    assert await search(gql, workspace.token, "有限公司") == sorted(
        ["上海云帆科技有限公司", "北京星河贸易有限公司"]
    )


async def test_search_ignores_case_of_latin_names(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="Acme Trading Ltd")
    await create_customer(gql, workspace, name="Globex")

    # when / then
    assert await search(gql, workspace.token, "acme") == ["Acme Trading Ltd"]
    assert await search(gql, workspace.token, "TRADING") == ["Acme Trading Ltd"]


async def test_search_finds_the_customers_email(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="云帆", email="Info@YunFan.cn")
    await create_customer(gql, workspace, name="星河", email="sales@xinghe.com")

    # when / then
    assert await search(gql, workspace.token, "yunfan.cn") == ["云帆"]
    assert await search(gql, workspace.token, "INFO@YUNFAN") == ["云帆"]


async def test_search_finds_the_external_id(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="云帆", externalId="ERP-2024-0042")
    await create_customer(gql, workspace, name="星河", externalId="ERP-2023-0007")

    # when / then
    assert await search(gql, workspace.token, "ERP-2024-0042") == ["云帆"]
    assert await search(gql, workspace.token, "erp-2024") == ["云帆"]


async def test_search_finds_a_customer_by_its_contacts_name(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="云帆", contacts=[{"name": "王伟"}])
    await create_customer(gql, workspace, name="星河", contacts=[{"name": "李娜"}])

    # when / then
    assert await search(gql, workspace.token, "王伟") == ["云帆"]
    assert await search(gql, workspace.token, "李") == ["星河"]


async def test_search_finds_a_customer_by_its_contacts_email(gql: GraphQL, workspace):
    # given
    await create_customer(
        gql, workspace, name="Acme", contacts=[{"name": "Bo", "email": "bo@acme.io"}]
    )
    await create_customer(
        gql, workspace, name="Globex", contacts=[{"name": "Cy", "email": "cy@globex.io"}]
    )

    # when / then
    assert await search(gql, workspace.token, "BO@ACME") == ["Acme"]
    assert await search(gql, workspace.token, "globex.io") == ["Globex"]


@pytest.mark.parametrize(
    "query", ["13800138000", "138 0013", "+8613800138000", "138-0013-8000", "0086 138 0013 8000"]
)
async def test_search_finds_a_chinese_mobile_however_it_is_typed(
    gql: GraphQL, workspace, query: str
):
    # given
    await create_customer(gql, workspace, name="云帆", phone="+86 138-0013-8000")
    await create_customer(gql, workspace, name="星河", phone="+86 139-0013-9000")

    # when / then
    assert await search(gql, workspace.token, query) == ["云帆"]


@pytest.mark.parametrize(
    "query", ["13800138000", "138 0013", "+8613800138000", "+86 138 0013 8000"]
)
async def test_search_finds_a_customer_by_its_contacts_phone(gql: GraphQL, workspace, query: str):
    # given
    await create_customer(
        gql, workspace, name="云帆", contacts=[{"name": "王伟", "phone": "138-0013-8000"}]
    )
    await create_customer(
        gql, workspace, name="星河", contacts=[{"name": "李娜", "phone": "139 0013 9000"}]
    )

    # when / then
    assert await search(gql, workspace.token, query) == ["云帆"]


@pytest.mark.parametrize(
    "query", ["415-555-0100", "(415) 555 0100", "+1 415 555 0100", "4155550100", "555-0100"]
)
async def test_search_finds_a_north_american_number_however_it_is_typed(
    gql: GraphQL, workspace, query: str
):
    # given
    await create_customer(gql, workspace, name="Acme", phone="+1 (415) 555-0100")
    await create_customer(gql, workspace, name="Globex", phone="+1 (212) 555-0199")

    # when / then
    assert await search(gql, workspace.token, query) == ["Acme"]


async def test_search_finds_a_landline_typed_with_its_trunk_prefix(gql: GraphQL, workspace):
    # given: the README's own example, a Shanghai number in international form
    await create_customer(gql, workspace, name="上海云帆", phone="+86 21 6888 1234")
    await create_customer(gql, workspace, name="北京星河", phone="+86 10 6888 1234")

    # when / then: in China it is dialled 021-6888-1234
    assert await search(gql, workspace.token, "021-6888-1234") == ["上海云帆"]


async def test_search_by_phone_does_not_match_other_numbers(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="云帆", phone="13800138000")

    # when / then
    assert await search(gql, workspace.token, "13900139000") == []
    assert await search(gql, workspace.token, "+1 415 555 0100") == []


async def test_customer_with_several_matching_contacts_is_listed_once(gql: GraphQL, workspace):
    # given
    await create_customer(
        gql,
        workspace,
        name="云帆",
        email="wang@yunfan.cn",
        contacts=[{"name": "王伟"}, {"name": "王芳"}, {"name": "王强"}],
    )

    # when / then
    assert await search(gql, workspace.token, "王") == ["云帆"]


async def test_search_treats_like_wildcards_literally(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="100% 纯棉")
    await create_customer(gql, workspace, name="A_B 贸易")
    await create_customer(gql, workspace, name="ACB 贸易")

    # when / then
    assert await search(gql, workspace.token, "%") == ["100% 纯棉"]
    assert await search(gql, workspace.token, "A_B") == ["A_B 贸易"]


async def test_blank_search_matches_everything(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="云帆")
    await create_customer(gql, workspace, name="星河")

    # when / then
    assert await search(gql, workspace.token, "   ") == sorted(["云帆", "星河"])


async def test_search_never_reaches_another_workspace(gql: GraphQL, workspace, other_workspace):
    # given
    await create_customer(
        gql,
        other_workspace,
        name="上海云帆科技有限公司",
        phone="13800138000",
        contacts=[{"name": "王伟", "phone": "13800138000"}],
    )
    await create_customer(gql, workspace, name="星河")

    # when / then
    for text in ("云帆", "13800138000", "王伟"):
        assert await search(gql, workspace.token, text) == []


async def test_search_with_a_nul_character_is_not_an_unexpected_error(gql: GraphQL, workspace):
    # given: PostgreSQL text cannot hold U+0000
    await create_customer(gql, workspace, name="云帆")

    # when
    result = await gql.execute(SEARCH, {"search": "云\x00帆"}, workspace.token)

    # then: no match, or the match without the NUL — but an answer, on both databases
    assert result.errors == []
    assert result.ok()["customers"]["totalCount"] in (0, 1)
