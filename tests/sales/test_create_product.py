"""createProduct: the catalogue an opportunity quotes from."""

import pytest

from tests.documents import document
from tests.helpers import GraphQL


async def _create(gql: GraphQL, token: str, **fields):
    result = await gql.execute(document("createProduct"), {"input": fields}, token)
    return result.ok()["createProduct"]


async def test_create_product(gql: GraphQL, workspace):
    # when
    payload = await _create(
        gql, workspace.token, name=" CRM 专业版 ", sku="CRM-PRO", unitPrice="1200", currency="usd"
    )

    # then
    assert payload["errors"] == []
    product = payload["product"]
    assert product["name"] == "CRM 专业版"
    assert product["sku"] == "CRM-PRO"
    assert product["unitPrice"] == "1200.00"
    assert product["currency"] == "USD"
    assert product["active"] is True


async def test_currency_defaults_to_the_workspace_currency(gql: GraphQL, workspace):
    # when
    payload = await _create(gql, workspace.token, name="实施服务", unitPrice="99.99")

    # then
    assert payload["errors"] == []
    assert payload["product"]["currency"] == "CNY"
    assert payload["product"]["unitPrice"] == "99.99"
    assert payload["product"]["sku"] is None


async def test_duplicate_sku_is_refused(gql: GraphQL, workspace):
    # given
    await _create(gql, workspace.token, name="A", sku="SKU-1", unitPrice="1")

    # when
    payload = await _create(gql, workspace.token, name="B", sku="SKU-1", unitPrice="2")

    # then
    assert payload["product"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.sku", "DUPLICATE")]


async def test_the_same_sku_in_another_workspace_is_fine(gql: GraphQL, workspace):
    # given
    other = await gql.sign_up()
    await _create(gql, other.token, name="A", sku="SKU-SHARED", unitPrice="1")

    # when
    payload = await _create(gql, workspace.token, name="A", sku="SKU-SHARED", unitPrice="1")

    # then
    assert payload["errors"] == []


async def test_products_without_sku_do_not_clash(gql: GraphQL, workspace):
    # given
    await _create(gql, workspace.token, name="A", unitPrice="1")

    # when
    payload = await _create(gql, workspace.token, name="B", sku="  ", unitPrice="1")

    # then
    assert payload["errors"] == []
    assert payload["product"]["sku"] is None


async def test_negative_price_is_invalid(gql: GraphQL, workspace):
    # when
    payload = await _create(gql, workspace.token, name="A", unitPrice="-0.01")

    # then
    assert payload["product"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.unitPrice", "INVALID")]


async def test_blank_name_and_bad_currency_are_reported_together(gql: GraphQL, workspace):
    # when
    payload = await _create(gql, workspace.token, name=" ", unitPrice="1", currency="RMB1")

    # then
    assert payload["product"] is None
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("input.currency", "INVALID"),
        ("input.name", "REQUIRED"),
    ]


async def test_an_sku_too_long_to_store_is_invalid(gql: GraphQL, workspace):
    # given: before, the duplicate check looked it up anyway, and Tortoise refused the filter
    # (found by tests/api/test_random_variables.py)

    # when
    payload = await _create(gql, workspace.token, name="笔", unitPrice="1", sku="x" * 10_001)

    # then
    assert payload["product"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.sku", "INVALID")]


@pytest.mark.parametrize(
    ("price", "stored"),
    [
        ("99999999999999.99", "99999999999999.99"),
        ("99999999999999.994", "99999999999999.99"),
        ("99999999999999.995", None),
        ("100000000000000", None),
        ("9999999999999999", None),
    ],
    ids=["largest", "rounds-down-to-largest", "rounds-up-past", "15-digits", "16-digits"],
)
async def test_a_price_is_at_most_what_the_column_holds_once_rounded(
    gql: GraphQL, workspace, price: str, stored: str | None
):
    # given: a unit price is DECIMAL(16, 2); before, up to 16 digits passed the check and
    # PostgreSQL refused the row ("numeric field overflow", found by
    # tests/api/test_random_variables.py)

    # when
    payload = await _create(gql, workspace.token, name="服务器", unitPrice=price)

    # then
    if stored is None:
        assert payload["product"] is None
        assert [(e["field"], e["message"]) for e in payload["errors"]] == [
            ("input.unitPrice", "Is too large.")
        ]
    else:
        assert payload["errors"] == []
        assert payload["product"]["unitPrice"] == stored
