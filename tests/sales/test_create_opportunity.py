"""createOpportunity: a deal in a pipeline stage, priced by quoted lines."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from api.core.ids import to_global_id
from models import Pipeline, Stage
from models.enums import StageKind
from tests.documents import document
from tests.factories import create_customer, create_product, default_pipeline, invite, pk
from tests.helpers import GraphQL

OPPORTUNITY = """
query($id: ID!) {
  node(id: $id) {
    ... on Opportunity { amount weightedAmount currency lineItems { total } }
  }
}
"""


async def _create(gql: GraphQL, token: str, **fields):
    result = await gql.execute(document("createOpportunity"), {"input": fields}, token)
    return result.ok()["createOpportunity"]


def _errors(payload: dict) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_defaults_to_the_default_pipelines_first_stage(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    pipeline = await default_pipeline(gql, workspace)
    qualification = pipeline["by_name"]["Qualification"]
    before = datetime.now(UTC)

    # when
    payload = await _create(gql, workspace.token, customerId=customer["id"], name=" 年度合同 ")

    # then
    assert payload["errors"] == []
    deal = payload["opportunity"]
    assert deal["name"] == "年度合同"
    assert deal["customer"]["id"] == customer["id"]
    assert deal["pipeline"]["id"] == pipeline["id"]
    assert deal["stage"]["id"] == qualification["id"]
    assert deal["status"] == "OPEN"
    assert deal["probability"] == 10
    assert deal["closedAt"] is None
    assert deal["owner"]["id"] == workspace.user_id
    assert deal["currency"] == "CNY"
    assert deal["lineItems"] == []
    assert deal["customFields"] == {}
    [entry] = deal["stageHistory"]
    assert entry["from"] is None
    assert entry["to"] == {"id": qualification["id"], "name": "Qualification"}
    assert entry["changedBy"]["id"] == workspace.user_id
    assert datetime.fromisoformat(entry["changedAt"]) >= before.replace(microsecond=0)


async def test_amount_without_lines_is_zero_with_two_places(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)

    # when
    payload = await _create(gql, workspace.token, customerId=customer["id"], name="意向")

    # then
    deal = payload["opportunity"]
    assert (deal["amount"], deal["weightedAmount"]) == ("0.00", "0.00")
    stored = (await gql.execute(OPPORTUNITY, {"id": deal["id"]}, workspace.token)).ok()["node"]
    assert (stored["amount"], stored["weightedAmount"]) == ("0.00", "0.00")


async def test_amount_typed_by_hand_is_weighted_by_the_stage(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    quote = (await default_pipeline(gql, workspace))["by_name"]["Quote"]

    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="续约",
        stageId=quote["id"],
        amount="1234.5",
        currency="usd",
        expectedCloseDate="2031-12-31",
    )

    # then
    deal = payload["opportunity"]
    assert deal["amount"] == "1234.50"
    assert deal["currency"] == "USD"
    assert deal["probability"] == 50
    assert deal["weightedAmount"] == "617.25"
    assert deal["expectedCloseDate"] == "2031-12-31"
    assert deal["stage"]["name"] == "Quote"
    assert [entry["to"]["name"] for entry in deal["stageHistory"]] == ["Quote"]


async def test_line_items_are_priced_from_the_product_with_discount(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    product = await create_product(gql, workspace, "99.99", name="CRM 专业版")

    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="报价",
        lineItems=[{"productId": product["id"], "quantity": "3", "discount": "10"}],
    )

    # then
    assert payload["errors"] == []
    deal = payload["opportunity"]
    [line] = deal["lineItems"]
    assert line["name"] == "CRM 专业版"
    assert line["product"]["id"] == product["id"]
    assert Decimal(line["quantity"]) == 3
    assert line["unitPrice"] == "99.99"
    assert line["discount"] == "10.00"
    assert line["total"] == "269.97"
    assert deal["amount"] == "269.97"
    assert deal["probability"] == 10
    assert deal["weightedAmount"] == "27.00"


async def test_amount_is_the_sum_of_the_line_totals(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    product = await create_product(gql, workspace, "99.99")
    needs_analysis = (await default_pipeline(gql, workspace))["by_name"]["Needs analysis"]

    # when: a typed amount is ignored when there are lines
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="组合报价",
        stageId=needs_analysis["id"],
        amount="1",
        lineItems=[
            {"productId": product["id"], "quantity": "3", "discount": "10"},
            {"productId": product["id"], "quantity": "1", "unitPrice": "50"},
            {"name": "上门实施", "quantity": "2.5", "unitPrice": "200", "discount": "0"},
        ],
    )

    # then
    deal = payload["opportunity"]
    assert [line["total"] for line in deal["lineItems"]] == ["269.97", "50.00", "500.00"]
    assert [line["unitPrice"] for line in deal["lineItems"]] == ["99.99", "50.00", "200.00"]
    assert deal["lineItems"][2]["product"] is None
    assert deal["lineItems"][2]["name"] == "上门实施"
    assert deal["amount"] == "819.97"
    # 819.97 × 25 / 100 = 204.9925
    assert deal["weightedAmount"] == "204.99"
    stored = (await gql.execute(OPPORTUNITY, {"id": deal["id"]}, workspace.token)).ok()["node"]
    assert (stored["amount"], stored["weightedAmount"]) == ("819.97", "204.99")


async def test_currency_is_taken_from_the_product(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    product = await create_product(gql, workspace, "10", currency="USD")

    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="海外",
        lineItems=[{"productId": product["id"], "quantity": "1"}],
    )

    # then
    assert payload["errors"] == []
    assert payload["opportunity"]["currency"] == "USD"


async def test_a_product_in_another_currency_than_the_deal_is_invalid(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    dollars = await create_product(gql, workspace, "10", currency="USD")

    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="混币",
        currency="CNY",
        lineItems=[{"productId": dollars["id"], "quantity": "1"}],
    )

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.lineItems.0.productId", "INVALID")]


async def test_products_in_two_currencies_are_invalid(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    yuan = await create_product(gql, workspace, "10")
    dollars = await create_product(gql, workspace, "10", currency="USD")

    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="混币",
        lineItems=[
            {"productId": yuan["id"], "quantity": "1"},
            {"productId": dollars["id"], "quantity": "1"},
        ],
    )

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.lineItems.1.productId", "INVALID")]


async def test_unknown_product_is_not_found(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    stranger = await gql.sign_up()
    foreign = await create_product(gql, stranger, "10")

    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="外部产品",
        lineItems=[{"productId": foreign["id"], "quantity": "1"}],
    )

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.lineItems.0.productId", "NOT_FOUND")]


async def test_zero_quantity_is_invalid(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    product = await create_product(gql, workspace)

    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="零",
        lineItems=[{"productId": product["id"], "quantity": "0"}],
    )

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.lineItems.0.quantity", "INVALID")]


async def test_a_discount_above_100_percent_is_invalid(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    product = await create_product(gql, workspace)

    for discount in ("150", "-5"):
        # when
        payload = await _create(
            gql,
            workspace.token,
            customerId=customer["id"],
            name="折扣",
            lineItems=[{"productId": product["id"], "quantity": "1", "discount": discount}],
        )

        # then
        assert payload["opportunity"] is None
        assert _errors(payload) == [("input.lineItems.0.discount", "INVALID")]


async def test_a_line_needs_a_price_or_a_product(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)

    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="无价",
        lineItems=[{"name": "咨询", "quantity": "1"}],
    )

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.lineItems.0.unitPrice", "REQUIRED")]


async def test_a_stage_of_another_pipeline_is_not_found(gql: GraphQL, workspace):
    # given: a second pipeline in the workspace (created directly: createPipeline is not built yet)
    customer = await create_customer(gql, workspace)
    default = await default_pipeline(gql, workspace)
    workspace_id = (await Pipeline.get(id=pk(default["id"]))).workspace_id
    other = await Pipeline.create(workspace_id=workspace_id, name="渠道", is_default=False)
    other_stage = await Stage.create(
        workspace_id=workspace_id,
        pipeline_id=other.id,
        name="Lead",
        position=0,
        probability=5,
        kind=StageKind.OPEN,
    )
    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="错配",
        pipelineId=default["id"],
        stageId=to_global_id("Stage", other_stage.id),
    )

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.stageId", "NOT_FOUND")]


async def test_a_stage_of_another_workspace_is_not_found(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    stranger = await gql.sign_up()
    foreign_stage = (await default_pipeline(gql, stranger))["by_name"]["Quote"]

    # when
    payload = await _create(
        gql, workspace.token, customerId=customer["id"], name="越界", stageId=foreign_stage["id"]
    )

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.stageId", "NOT_FOUND")]


async def test_a_won_stage_closes_the_deal(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    won = (await default_pipeline(gql, workspace))["by_name"]["Won"]

    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="已签",
        stageId=won["id"],
        amount="100",
    )

    # then
    deal = payload["opportunity"]
    assert deal["status"] == "WON"
    assert deal["closedAt"] is not None
    assert deal["probability"] == 100
    assert deal["weightedAmount"] == "100.00"


async def test_checklist_shows_the_current_stages_items_not_done(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    quote = (await default_pipeline(gql, workspace))["by_name"]["Quote"]

    # when
    first_stage = await _create(gql, workspace.token, customerId=customer["id"], name="新")
    at_quote = await _create(
        gql, workspace.token, customerId=customer["id"], name="报价", stageId=quote["id"]
    )

    # then
    assert first_stage["opportunity"]["checklist"] == [
        {
            "done": False,
            "doneAt": None,
            "doneBy": None,
            "item": {"title": "Identify the decision maker", "required": False},
        }
    ]
    assert [c["item"]["title"] for c in at_quote["opportunity"]["checklist"]] == ["Send the quote"]
    assert at_quote["opportunity"]["checklist"][0]["done"] is False


async def test_owner_may_be_a_colleague(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, workspace)

    # when
    payload = await _create(
        gql, workspace.token, customerId=customer["id"], name="分配", ownerId=rep.user_id
    )

    # then
    assert payload["opportunity"]["owner"]["id"] == rep.user_id


async def test_owner_from_another_workspace_is_not_found(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    stranger = await gql.sign_up()

    # when
    payload = await _create(
        gql, workspace.token, customerId=customer["id"], name="分配", ownerId=stranger.user_id
    )

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.ownerId", "NOT_FOUND")]


async def test_customer_of_another_workspace_is_not_found(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    foreign = await create_customer(gql, stranger)

    # when
    payload = await _create(gql, workspace.token, customerId=foreign["id"], name="越界")

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.customerId", "NOT_FOUND")]


async def test_blank_name_is_required(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)

    # when
    payload = await _create(gql, workspace.token, customerId=customer["id"], name="  ")

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.name", "REQUIRED")]


async def test_a_quantity_that_is_zero_when_stored_is_invalid(gql: GraphQL, workspace):
    # given: quantities are kept to four decimal places
    customer = await create_customer(gql, workspace)

    # when
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="微量",
        lineItems=[{"name": "咨询", "quantity": "0.00001", "unitPrice": "10000"}],
    )

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [("input.lineItems.0.quantity", "INVALID")]


async def test_a_line_total_agrees_with_the_quantity_it_shows(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)

    # when: a quantity finer than the four decimal places a line keeps
    payload = await _create(
        gql,
        workspace.token,
        customerId=customer["id"],
        name="精度",
        lineItems=[{"name": "咨询", "quantity": "1.00005", "unitPrice": "10000"}],
    )

    # then: either refused, or priced on the quantity the line keeps
    if payload["opportunity"] is None:
        assert _errors(payload) == [("input.lineItems.0.quantity", "INVALID")]
        return
    [line] = payload["opportunity"]["lineItems"]
    shown = Decimal(line["quantity"]) * Decimal(line["unitPrice"])
    assert Decimal(line["total"]) == shown.quantize(Decimal("0.01"))
    assert payload["opportunity"]["amount"] == line["total"]


async def test_a_quote_too_large_to_store_is_a_user_error(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)

    # when: 10⁹ × 10⁹ is beyond what an amount may be (under 10¹⁶, like a typed amount)
    result = await gql.execute(
        document("createOpportunity"),
        {
            "input": {
                "customerId": customer["id"],
                "name": "天价",
                "lineItems": [
                    {"name": "大单", "quantity": "1000000000", "unitPrice": "1000000000"}
                ],
            }
        },
        workspace.token,
    )

    # then
    payload = result.ok()["createOpportunity"]
    assert payload["opportunity"] is None
    assert [e["code"] for e in payload["errors"]] == ["INVALID"]
    assert payload["errors"][0]["field"].startswith("input.lineItems.0")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "9999999999999999.995"}, "input.amount"),
        (
            {"lineItems": [{"name": "整机", "quantity": "0.0001", "unitPrice": "100000000000000"}]},
            "input.lineItems.0.unitPrice",
        ),
    ],
    ids=["amount-rounds-past-16-digits", "line-unit-price-past-14-digits"],
)
async def test_money_past_its_column_once_rounded_is_too_large(
    gql: GraphQL, workspace, fields: dict, field: str
):
    # given: an amount is DECIMAL(18, 2), a line's unit price DECIMAL(16, 2); before, both
    # were checked against 16 digits before rounding, and PostgreSQL refused the row
    customer = await create_customer(gql, workspace)

    # when
    payload = await _create(gql, workspace.token, customerId=customer["id"], name="大单", **fields)

    # then
    assert payload["opportunity"] is None
    assert _errors(payload) == [(field, "INVALID")]
