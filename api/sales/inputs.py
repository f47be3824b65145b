"""Product and opportunity inputs, and their conversion to domain data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.core.ids import decode_id, decode_optional_id
from api.core.inputs import changes_of
from domain.opportunities import MAX_LINE_ITEMS, LineItemData, OpportunityData

_LINE_ITEMS = f"The quote, at most {MAX_LINE_ITEMS} lines; the amount is then their sum."


@strawberry.input
class ProductInput:
    name: str
    sku: str | None = None
    unit_price: Decimal
    currency: str | None = None


@strawberry.input
class LineItemInput:
    product_id: strawberry.ID | None = None
    name: str | None = None
    quantity: Decimal
    unit_price: Decimal | None = None
    discount: Decimal | None = None

    def to_data(self, index: int) -> LineItemData:
        return LineItemData(
            product_id=decode_optional_id(
                self.product_id, "Product", f"input.lineItems.{index}.productId"
            ),
            name=self.name,
            quantity=self.quantity,
            unit_price=self.unit_price,
            discount=self.discount,
        )


def _line_items(items: list[LineItemInput] | None) -> list[LineItemData] | None:
    return None if items is None else [item.to_data(i) for i, item in enumerate(items)]


@strawberry.input
class OpportunityInput:
    customer_id: strawberry.ID
    name: str
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the workspace's default pipeline."
    )
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the pipeline's first stage."
    )
    amount: Decimal | None = None
    currency: str | None = None
    expected_close_date: date | None = None
    owner_id: strawberry.ID | None = None
    line_items: list[LineItemInput] | None = strawberry.field(default=None, description=_LINE_ITEMS)
    custom_fields: JSON | None = None

    def to_data(self) -> OpportunityData:
        return OpportunityData(
            customer_id=decode_id(self.customer_id, "Customer", "input.customerId"),
            name=self.name,
            pipeline_id=decode_optional_id(self.pipeline_id, "Pipeline", "input.pipelineId"),
            stage_id=decode_optional_id(self.stage_id, "Stage", "input.stageId"),
            amount=self.amount,
            currency=self.currency,
            expected_close_date=self.expected_close_date,
            owner_id=decode_optional_id(self.owner_id, "User", "input.ownerId"),
            line_items=_line_items(self.line_items),
            custom_fields=self.custom_fields,
        )


@strawberry.input
class OpportunityPatch:
    name: str | None = strawberry.UNSET
    amount: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    probability: int | None = strawberry.UNSET
    expected_close_date: date | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    line_items: list[LineItemInput] | None = strawberry.field(
        default=strawberry.UNSET, description=f"{_LINE_ITEMS} They replace the deal's lines."
    )
    custom_fields: JSON | None = strawberry.UNSET

    def to_changes(self) -> dict[str, Any]:
        changes = changes_of(self, ids={"owner_id": ("User", "input.ownerId")})
        if "line_items" in changes:
            changes["line_items"] = _line_items(changes["line_items"])
        return changes
