"""The product catalogue that opportunities quote from."""

from __future__ import annotations

from decimal import Decimal

from tortoise.exceptions import IntegrityError

from domain.errors import DomainError, ErrorCode, Problems
from domain.validation import (
    PRICE_INTEGER_DIGITS,
    check_currency,
    check_money,
    check_name,
    check_optional,
)
from domain.viewer import Viewer
from models import Product, Workspace

SKU_MAX_LENGTH = 100  # the column's


async def create_product(
    viewer: Viewer, *, name: str, sku: str | None, unit_price: Decimal, currency: str | None
) -> Product:
    problems = Problems()
    workspace = await Workspace.get(id=viewer.workspace_id)
    clean_name = check_name(problems, "input.name", name)
    clean_sku = check_optional(problems, "input.sku", sku, SKU_MAX_LENGTH)
    price = check_money(
        problems, "input.unitPrice", unit_price, integer_digits=PRICE_INTEGER_DIGITS
    )
    code = check_currency(problems, "input.currency", currency, workspace.default_currency)
    # Only an SKU that could be stored is looked for: Tortoise refuses a longer one in a
    # filter with its own ValidationError (a 10,001-character SKU was "Unexpected error.").
    if (
        clean_sku
        and len(clean_sku) <= SKU_MAX_LENGTH
        and await Product.filter(workspace_id=viewer.workspace_id, sku=clean_sku).exists()
    ):
        problems.add("input.sku", f"Another product has SKU “{clean_sku}”.", ErrorCode.DUPLICATE)
    problems.raise_if_any()
    try:
        return await Product.create(
            workspace_id=viewer.workspace_id,
            name=clean_name,
            sku=clean_sku,
            unit_price=price,
            currency=code,
        )
    except IntegrityError:
        raise DomainError.single(
            "input.sku", f"Another product has SKU “{clean_sku}”.", ErrorCode.DUPLICATE
        ) from None
