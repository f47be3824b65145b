"""Decimals as large (or as small) as a client can write them: past 20 digits before the point
the Decimal scalar refuses them (BAD_USER_INPUT); below, the domain refuses what its
columns cannot hold with the field's name; a number is never an INTERNAL error.

Before the fix: `quantity: "1e30"` reached `quantize(Decimal("0.0001"))`, which needs 35
digits at Decimal's precision of 28 (InvalidOperation, a masked INTERNAL logged with its
traceback), and so did a line whose quantity and price were each within their bounds
(999,999,999,999.9999 × 9,999,999,999,999,999.99) when its total was rounded to the cent.
An import cell typed as a custom NUMBER took its number to int(): "1e999999" (9 bytes)
cost 48 s of a worker's CPU, and the time grows with the square of the exponent
("1e9999999": over an hour).
"""

from __future__ import annotations

import logging

import pytest
from tortoise.transactions import in_transaction

from api.core.ids import from_global_id
from domain.custom_fields import CustomFieldData, define_custom_field
from domain.imports.cells import ChunkResult
from domain.imports.customer_rows import apply_customer_rows
from domain.viewer import Viewer
from models import Customer, User
from models.enums import CustomFieldEntity, CustomFieldType, ImportMode, Role
from tests.cpu import cpu_time
from tests.factories import create_customer
from tests.helpers import Account, GraphQL

CREATE_OPPORTUNITY = """
mutation($input: OpportunityInput!) {
  createOpportunity(input: $input) {
    opportunity { amount lineItems { quantity unitPrice total } }
    errors { field message }
  }
}
"""
# The CPU time (tests/cpu.py) an answer may cost the process. Each answer below took
# ~20-50 ms; the bound is a ceiling against a regression (the huge exponent: 48 s before).
ANSWERED_WITHIN = 1.0


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def _create_deal(gql: GraphQL, workspace: Account, **fields: object):
    customer = await create_customer(gql, workspace)
    deal = {"customerId": customer["id"], "name": "巨额合同", **fields}
    with cpu_time() as cpu:
        result = await gql.execute(CREATE_OPPORTUNITY, {"input": deal}, workspace.token)
    assert cpu.seconds < ANSWERED_WITHIN, f"answered after {cpu.seconds:.2f} CPU s"
    return result


@pytest.mark.parametrize(
    ("fields", "at"),
    [
        ({"lineItems": [{"name": "a", "quantity": "1e30", "unitPrice": "1"}]}, "lineItems[0].quantity"),
        ({"lineItems": [{"name": "a", "quantity": "1", "unitPrice": "1e9999"}]}, "lineItems[0].unitPrice"),
        ({"lineItems": [{"name": "a", "quantity": "1", "unitPrice": "1", "discount": "1e21"}]}, "lineItems[0].discount"),
        ({"amount": "123456789012345678901"}, "amount"),
        ({"amount": -1e25}, "amount"),
    ],
    ids=["quantity-1e30", "price-1e9999", "discount-1e21", "amount-21-digits", "amount-json-number"],
)  # fmt: skip
async def test_a_decimal_past_twenty_digits_is_refused_by_the_scalar(
    gql: GraphQL,
    workspace: Account,
    caplog: pytest.LogCaptureFixture,
    fields: dict,
    at: str,
):
    # given
    caplog.set_level(logging.INFO)

    # when
    result = await _create_deal(gql, workspace, **fields)

    # then: the client's error, naming the value's place
    assert result.data is None
    [error] = result.errors
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert f"Variable '$input' has invalid value at .{at}" in error["message"]
    assert "at most 20 digits before the decimal point" in error["message"]
    assert _errors_logged(caplog) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"lineItems": [{"name": "a", "quantity": "99999999999999999999", "unitPrice": "1"}]},
            "input.lineItems.0.quantity",
            "Is too large.",
        ),
        (
            {"lineItems": [{"name": "a", "quantity": "1", "unitPrice": "99999999999999999999"}]},
            "input.lineItems.0.unitPrice",
            "Is too large.",
        ),
        (
            # each within its bound (a unit price holds 14 digits), the total past every
            # column: 10^26
            {"lineItems": [{"name": "a", "quantity": "999999999999.9999", "unitPrice": "99999999999999.99"}]},
            "input.lineItems.0.quantity",
            "This line's total is too large.",
        ),
        ({"amount": "99999999999999999999.99"}, "input.amount", "Is too large."),
    ],
    ids=["quantity", "unit-price", "line-total", "amount"],
)  # fmt: skip
async def test_a_decimal_the_scalar_takes_is_refused_by_the_domain_naming_its_field(
    gql: GraphQL,
    workspace: Account,
    caplog: pytest.LogCaptureFixture,
    fields: dict,
    field: str,
    message: str,
):
    # given
    caplog.set_level(logging.INFO)

    # when
    result = await _create_deal(gql, workspace, **fields)

    # then
    payload = result.ok()["createOpportunity"]
    assert payload["opportunity"] is None
    assert {"field": field, "message": message} in payload["errors"], payload["errors"]
    assert _errors_logged(caplog) == []


async def test_tiny_and_zero_magnitudes_round_as_the_columns_store_them(
    gql: GraphQL, workspace: Account
):
    # given: exponents far below zero (and a zero written with a large one) are plain
    # decimals: the domain rounds them as its columns hold them
    lines = [{"name": "a", "quantity": "2", "unitPrice": "10", "discount": "1e-9999"}]

    # when
    result = await _create_deal(gql, workspace, amount="0e50", lineItems=lines)

    # then
    deal = result.ok()["createOpportunity"]["opportunity"]
    assert deal["lineItems"] == [{"quantity": "2.0000", "unitPrice": "10.00", "total": "20.00"}]


async def test_the_largest_line_the_columns_hold_is_stored(gql: GraphQL, workspace: Account):
    # given: the control: just under every bound (a quantity under 10^12, a total under 10^16)
    lines = [{"name": "a", "quantity": "999999999999.9999", "unitPrice": "1"}]

    # when
    result = await _create_deal(gql, workspace, lineItems=lines)

    # then
    deal = result.ok()["createOpportunity"]["opportunity"]
    assert deal["lineItems"][0]["total"] == "1000000000000.00"


# ---------------------------------------------------------------- import cells


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    _, user_id = from_global_id(workspace.user_id)
    user = await User.get(id=user_id)
    return Viewer(workspace_id=user.workspace_id, role=Role.ADMIN, user_id=user.id)


async def test_a_huge_number_in_a_custom_number_cell_is_a_row_error_at_once(viewer: Viewer):
    # given
    await define_custom_field(
        viewer,
        CustomFieldData(CustomFieldEntity.CUSTOMER, "employees", "员工数", CustomFieldType.NUMBER),
    )
    rows = [
        (1, {"name": "巨大", "customFields.employees": "1e999999"}),
        (2, {"name": "正常", "customFields.employees": "1.2e3"}),
    ]

    # when
    with cpu_time() as cpu:
        async with in_transaction():
            result: ChunkResult = await apply_customer_rows(
                viewer, rows, mode=ImportMode.CREATE, match_on=["name"]
            )

    # then
    assert cpu.seconds < ANSWERED_WITHIN, f"took {cpu.seconds:.1f} CPU s"
    assert result.failed_rows == {1}
    assert [(f.row, f.field, f.message) for f in result.failures] == [
        (1, "customFields.employees", "Is too large.")
    ]
    stored = await Customer.get(workspace_id=viewer.workspace_id, name="正常")
    assert stored.custom_fields == {"employees": 1200}
