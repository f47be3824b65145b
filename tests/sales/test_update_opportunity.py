"""updateOpportunity: change what was sent, leave the rest; lines replace the quote."""

from tests.documents import document
from tests.factories import (
    create_customer,
    create_opportunity,
    create_product,
    default_pipeline,
    invite,
)
from tests.helpers import GraphQL

OPPORTUNITY = """
query($id: ID!) {
  node(id: $id) {
    ... on Opportunity {
      name amount currency probability weightedAmount expectedCloseDate owner { id }
      lineItems { name total }
    }
  }
}
"""


async def _update(gql: GraphQL, token: str, opportunity_id: str, **changes):
    result = await gql.execute(
        document("updateOpportunity"), {"id": opportunity_id, "input": changes}, token
    )
    return result.ok()["updateOpportunity"]


async def _read(gql: GraphQL, token: str, opportunity_id: str) -> dict:
    return (await gql.execute(OPPORTUNITY, {"id": opportunity_id}, token)).ok()["node"]


def _errors(payload: dict) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_rename_leaves_everything_else(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(
        gql, workspace, customer["id"], amount="500", expectedCloseDate="2031-09-30"
    )
    before = await _read(gql, workspace.token, deal["id"])

    # when
    payload = await _update(gql, workspace.token, deal["id"], name=" 二期项目 ")

    # then
    assert payload["errors"] == []
    after = await _read(gql, workspace.token, deal["id"])
    assert after == {**before, "name": "二期项目"}


async def test_probability_override_drives_the_weighted_amount(gql: GraphQL, workspace):
    # given: 1000 at Qualification (10%)
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"], amount="1000")

    # when
    payload = await _update(gql, workspace.token, deal["id"], probability=35)

    # then
    assert payload["errors"] == []
    assert payload["opportunity"]["probability"] == 35
    assert payload["opportunity"]["weightedAmount"] == "350.00"
    stored = await _read(gql, workspace.token, deal["id"])
    assert (stored["probability"], stored["weightedAmount"]) == (35, "350.00")


async def test_clearing_the_override_returns_to_the_stage_probability(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"], amount="1000")
    await _update(gql, workspace.token, deal["id"], probability=90)

    # when
    payload = await _update(gql, workspace.token, deal["id"], probability=None)

    # then
    assert payload["opportunity"]["probability"] == 10
    assert payload["opportunity"]["weightedAmount"] == "100.00"


async def test_probability_out_of_range_is_invalid(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"], amount="1000")

    for probability in (101, -1):
        # when
        payload = await _update(gql, workspace.token, deal["id"], probability=probability)

        # then
        assert payload["opportunity"] is None
        assert _errors(payload) == [("input.probability", "INVALID")]
    assert (await _read(gql, workspace.token, deal["id"]))["probability"] == 10


async def test_line_items_replace_the_old_ones_and_recompute_the_amount(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    product = await create_product(gql, workspace, "99.99", name="旧产品")
    deal = await create_opportunity(
        gql,
        workspace,
        customer["id"],
        lineItems=[{"productId": product["id"], "quantity": "3", "discount": "10"}],
    )

    # when
    payload = await _update(
        gql,
        workspace.token,
        deal["id"],
        lineItems=[
            {"name": "新方案", "quantity": "2", "unitPrice": "1000", "discount": "5"},
            {"productId": product["id"], "quantity": "1"},
        ],
    )

    # then
    assert payload["errors"] == []
    opportunity = payload["opportunity"]
    assert [(line["name"], line["total"]) for line in opportunity["lineItems"]] == [
        ("新方案", "1900.00"),
        ("旧产品", "99.99"),
    ]
    assert opportunity["amount"] == "1999.99"
    assert opportunity["weightedAmount"] == "200.00"
    stored = await _read(gql, workspace.token, deal["id"])
    assert stored["amount"] == "1999.99"
    assert [line["total"] for line in stored["lineItems"]] == ["1900.00", "99.99"]


async def test_setting_the_amount_while_lines_exist_is_a_conflict(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    product = await create_product(gql, workspace, "99.99")
    deal = await create_opportunity(
        gql, workspace, customer["id"], lineItems=[{"productId": product["id"], "quantity": "1"}]
    )

    # when
    payload = await _update(gql, workspace.token, deal["id"], amount="5000")

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.amount", "CONFLICT")]
    assert (await _read(gql, workspace.token, deal["id"]))["amount"] == "99.99"


async def test_the_amount_of_a_deal_without_lines_is_typed_by_hand(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"], amount="100")

    # when
    payload = await _update(gql, workspace.token, deal["id"], amount="2500.5")

    # then
    assert payload["errors"] == []
    assert payload["opportunity"]["amount"] == "2500.50"
    assert payload["opportunity"]["weightedAmount"] == "250.05"


async def test_a_new_line_in_another_currency_is_invalid(gql: GraphQL, workspace):
    # given: a deal in CNY
    customer = await create_customer(gql, workspace)
    yuan = await create_product(gql, workspace, "10")
    dollars = await create_product(gql, workspace, "10", currency="USD")
    deal = await create_opportunity(
        gql, workspace, customer["id"], lineItems=[{"productId": yuan["id"], "quantity": "1"}]
    )

    # when
    payload = await _update(
        gql, workspace.token, deal["id"], lineItems=[{"productId": dollars["id"], "quantity": "1"}]
    )

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.lineItems.0.productId", "INVALID")]
    assert [
        line["total"] for line in (await _read(gql, workspace.token, deal["id"]))["lineItems"]
    ] == ["10.00"]


async def test_owner_can_be_handed_to_a_colleague(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"])

    # when
    payload = await _update(gql, workspace.token, deal["id"], ownerId=rep.user_id)

    # then
    assert payload["errors"] == []
    assert payload["opportunity"]["owner"]["id"] == rep.user_id


async def test_owner_from_another_workspace_is_not_found(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"])
    stranger = await gql.sign_up()

    # when
    payload = await _update(gql, workspace.token, deal["id"], ownerId=stranger.user_id)

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.ownerId", "NOT_FOUND")]
    assert (await _read(gql, workspace.token, deal["id"]))["owner"]["id"] == workspace.user_id


async def test_an_opportunity_of_another_workspace_is_not_found(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    customer = await create_customer(gql, stranger)
    foreign = await create_opportunity(gql, stranger, customer["id"], name="别人的")

    # when
    payload = await _update(gql, workspace.token, foreign["id"], name="我的了")

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("id", "NOT_FOUND")]
    assert (await _read(gql, stranger.token, foreign["id"]))["name"] == "别人的"


async def test_a_stage_probability_applies_until_overridden(gql: GraphQL, workspace):
    # given: a deal created at Contract (80%)
    customer = await create_customer(gql, workspace)
    contract = (await default_pipeline(gql, workspace))["by_name"]["Contract"]
    deal = await create_opportunity(
        gql, workspace, customer["id"], amount="99.99", stageId=contract["id"]
    )

    # when
    payload = await _update(gql, workspace.token, deal["id"], expectedCloseDate="2031-10-01")

    # then: 99.99 × 80 / 100 = 79.992
    assert payload["opportunity"]["probability"] == 80
    assert payload["opportunity"]["weightedAmount"] == "79.99"
    assert payload["opportunity"]["expectedCloseDate"] == "2031-10-01"


async def test_the_currency_of_a_deal_quoted_in_products_cannot_drift_from_them(
    gql: GraphQL, workspace
):
    # given: a deal quoted in a CNY product
    customer = await create_customer(gql, workspace)
    yuan = await create_product(gql, workspace, "10")
    deal = await create_opportunity(
        gql, workspace, customer["id"], lineItems=[{"productId": yuan["id"], "quantity": "1"}]
    )

    # when: only the currency is changed
    payload = await _update(gql, workspace.token, deal["id"], currency="USD")

    # then: refused, as a product in another currency than the deal is at creation
    assert payload["opportunity"] is None
    assert [e["field"] for e in payload["errors"]] == ["input.currency"]
    assert payload["errors"][0]["code"] == "CONFLICT"
    assert (await _read(gql, workspace.token, deal["id"]))["currency"] == "CNY"
