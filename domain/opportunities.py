"""Opportunities: deals for a customer, priced by quoted lines, weighted by their stage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any, cast

from tortoise.transactions import in_transaction

from domain.access import check_change, check_change_of, check_reassign
from domain.custom_fields import clean_custom_fields
from domain.dates import check_date
from domain.errors import ErrorCode, Problems, not_found
from domain.history import VIA_API, Through, changes_of, record_changes, values_of
from domain.members import check_member
from domain.pipelines import PROBABILITY_RANGE, default_pipeline, status_for
from domain.validation import (
    PRICE_INTEGER_DIGITS,
    check_currency,
    check_money,
    check_name,
)
from domain.viewer import Viewer
from models import Customer, LineItem, Opportunity, Product, Stage, StageChange, Workspace
from models.enums import ChangedEntity, CustomFieldEntity, OpportunityStatus, StageKind

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
QUANTITY_STEP = Decimal("0.0001")
# What the columns hold: 12 integer digits of quantity, 16 of an amount.
MAX_QUANTITY = Decimal(10) ** 12
MAX_AMOUNT = Decimal(10) ** 16
# A quote's lines: far more than a real quote holds, few enough that reading a page of deals
# with their lines stays cheap. `lineItems` reads no more (and the query cost counts this).
MAX_LINE_ITEMS = 200


# Messages `createOpportunity`/`updateOpportunity` and the deal import give alike.
NO_PIPELINE = "The workspace has no pipeline."
AMOUNT_IS_LINE_SUM = "The amount is the sum of the line items."


def check_line_currencies(
    problems: Problems, path: str, currency: str, line_currencies: Iterable[str | None]
) -> None:
    """A deal quoted in products stays in their currency unless its lines change with it
    (`line_currencies`: its lines' products', None for a line without one)."""
    other = next((c for c in line_currencies if c not in (None, currency)), None)
    if other is not None:
        message = f"The deal is quoted in products priced in {other}; change its lines too."
        problems.add(path, message, ErrorCode.CONFLICT)


@dataclass
class LineItemData:
    quantity: Decimal
    product_id: int | None = None
    name: str | None = None
    unit_price: Decimal | None = None
    discount: Decimal | None = None


@dataclass
class OpportunityData:
    customer_id: int
    name: str
    pipeline_id: int | None = None
    stage_id: int | None = None
    amount: Decimal | None = None
    currency: str | None = None
    expected_close_date: date | None = None
    owner_id: int | None = None
    line_items: list[LineItemData] | None = None
    # As the client sent it (any JSON): clean_custom_fields checks it is an object.
    custom_fields: object = None


# Wide enough for any line within the bounds, a quantity under 10^12 (to 4 places) times a
# price under 10^16 (to 2 places): under 10^28 to 6 places, 34 digits. At Decimal's
# default 28, the largest lines failed to round to the cent (InvalidOperation) before
# their total could be refused as too large.
_LINE_ARITHMETIC = Context(prec=40)


def line_total(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    with localcontext(_LINE_ARITHMETIC):
        gross = quantity * unit_price
        return (gross * (HUNDRED - discount) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def effective_probability(opportunity: Opportunity, stage: Stage) -> int:
    if opportunity.probability_override is not None:
        return opportunity.probability_override
    return stage.probability


def weighted_amount(opportunity: Opportunity, stage: Stage) -> Decimal:
    probability = Decimal(effective_probability(opportunity, stage))
    return (Decimal(opportunity.amount) * probability / HUNDRED).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def _price_line(
    problems: Problems, path: str, item: LineItemData, product: Product | None
) -> tuple[Decimal, Decimal, Decimal] | None:
    """(quantity, unit price, discount) as they will be stored, or None with problems added."""
    # Round as the columns store them first, so every check and total sees the stored values
    # (a number too large to round is refused as too large).
    quantity = Decimal(item.quantity)
    if quantity.is_finite() and quantity < MAX_QUANTITY:
        quantity = quantity.quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP)
    if not quantity.is_finite() or quantity <= 0:
        problems.add(f"{path}.quantity", "Must be more than zero.")
        return None
    if quantity >= MAX_QUANTITY:
        problems.add(f"{path}.quantity", "Is too large.")
        return None
    if item.unit_price is not None:
        unit_price = item.unit_price
    elif product is not None:
        unit_price = product.unit_price
    else:
        problems.add(
            f"{path}.unitPrice", "Give a unit price or pick a product.", ErrorCode.REQUIRED
        )
        return None
    price = check_money(
        problems, f"{path}.unitPrice", unit_price, integer_digits=PRICE_INTEGER_DIGITS
    )
    discount = Decimal(item.discount) if item.discount is not None else Decimal(0)
    if not discount.is_finite() or not 0 <= discount <= 100:
        problems.add(f"{path}.discount", "A discount is a percentage from 0 to 100.")
        return None
    if price is None:
        return None
    return quantity, price, discount.quantize(CENT)


async def _build_line_items(
    problems: Problems, viewer: Viewer, items: list[LineItemData], currency: str | None
) -> tuple[list[LineItem], str | None]:
    """Prices the lines; returns unsaved LineItems and the currency their products imply."""
    if len(items) > MAX_LINE_ITEMS:
        # Refused before any line is priced or any product looked up.
        problems.add(
            "input.lineItems",
            f"A deal has at most {MAX_LINE_ITEMS} line items; this one has {len(items):,}.",
        )
        return [], currency
    product_ids = {item.product_id for item in items if item.product_id is not None}
    products = {
        p.id: p for p in await Product.filter(id__in=product_ids, workspace_id=viewer.workspace_id)
    }
    lines: list[LineItem] = []
    for index, item in enumerate(items):
        path = f"input.lineItems.{index}"
        product = products.get(item.product_id) if item.product_id is not None else None
        if item.product_id is not None and product is None:
            problems.add(f"{path}.productId", "Product not found.", ErrorCode.NOT_FOUND)
            continue
        name = (item.name or "").strip() or (product.name if product else "")
        if not name:
            problems.add(f"{path}.name", "Name the line or pick a product.", ErrorCode.REQUIRED)
        if product is not None:
            if currency is None:
                currency = product.currency
            elif product.currency != currency:
                problems.add(
                    f"{path}.productId",
                    f"This product is priced in {product.currency}, the deal in {currency}.",
                )
        priced = _price_line(problems, path, item, product)
        if priced is None:
            continue
        quantity, price, discount = priced
        total = line_total(quantity, price, discount)
        if total >= MAX_AMOUNT:
            problems.add(f"{path}.quantity", "This line's total is too large.")
            continue
        lines.append(
            LineItem(
                workspace_id=viewer.workspace_id,
                product_id=product.id if product else None,
                name=name,
                quantity=quantity,
                unit_price=price,
                discount=discount,
                total=total,
                position=index,
            )
        )
    if sum((line.total for line in lines), Decimal(0)) >= MAX_AMOUNT:
        problems.add("input.lineItems", "The quote's total is too large.")
    return lines, currency


async def _resolve_stage(
    problems: Problems, viewer: Viewer, pipeline_id: int | None, stage_id: int | None
) -> Stage | None:
    if stage_id is not None:
        stage = await Stage.get_or_none(
            id=stage_id, workspace_id=viewer.workspace_id, archived_at=None
        )
        if stage is None or (pipeline_id is not None and stage.pipeline_id != pipeline_id):
            problems.add("input.stageId", "Stage not found in this pipeline.", ErrorCode.NOT_FOUND)
            return None
        return stage
    if pipeline_id is None:
        pipeline = await default_pipeline(viewer.workspace_id)
        if pipeline is None:
            problems.add("input.pipelineId", NO_PIPELINE, ErrorCode.REQUIRED)
            return None
        pipeline_id = pipeline.id
    stage = (
        await Stage.filter(
            pipeline_id=pipeline_id,
            workspace_id=viewer.workspace_id,
            kind=StageKind.OPEN,
            archived_at=None,
        )
        .order_by("position")
        .first()
    )
    if stage is None:
        problems.add("input.pipelineId", "Pipeline not found.", ErrorCode.NOT_FOUND)
    return stage


def default_owner(given: int | None, viewer: Viewer, customer_owner_id: int | None) -> int | None:
    """Who looks after a new deal: whom the input names, else whoever enters it, else (an
    API key) the customer's owner. `createOpportunity` and the deal import ask this."""
    return given or viewer.user_id or customer_owner_id


async def create_opportunity(
    viewer: Viewer, data: OpportunityData, *, through: Through = VIA_API
) -> Opportunity:
    problems = Problems()
    customer = await Customer.get_or_none(id=data.customer_id, workspace_id=viewer.workspace_id)
    if customer is None:
        problems.add("input.customerId", "Customer not found.", ErrorCode.NOT_FOUND)
    else:
        await check_change(viewer, customer, "input.customerId", "Customer")
    name = check_name(problems, "input.name", data.name)
    stage = await _resolve_stage(problems, viewer, data.pipeline_id, data.stage_id)
    await check_member(problems, "input.ownerId", viewer, data.owner_id)
    custom_fields = await clean_custom_fields(
        problems,
        viewer,
        CustomFieldEntity.OPPORTUNITY,
        data.custom_fields,
        existing=None,
        path="input.customFields",
    )
    currency = (
        check_currency(problems, "input.currency", data.currency, "XXX") if data.currency else None
    )
    lines, currency = await _build_line_items(problems, viewer, data.line_items or [], currency)
    amount = check_money(problems, "input.amount", data.amount)
    expected_close = check_date(problems, "input.expectedCloseDate", data.expected_close_date)
    problems.raise_if_any()
    assert customer is not None and stage is not None
    if data.owner_id is not None:
        who = default_owner(None, viewer, customer.owner_id)
        await check_reassign(viewer, who, data.owner_id, "input.ownerId")
    if currency is None:
        currency = (await Workspace.get(id=viewer.workspace_id)).default_currency
    if lines:
        amount = sum((line.total for line in lines), Decimal(0))
    now = datetime.now(UTC)
    status = status_for(stage.kind)
    async with in_transaction():
        opportunity = await Opportunity.create(
            workspace_id=viewer.workspace_id,
            customer_id=customer.id,
            pipeline_id=stage.pipeline_id,
            stage_id=stage.id,
            name=name,
            status=status,
            amount=amount or Decimal(0),
            currency=currency,
            expected_close_date=expected_close,
            owner_id=default_owner(data.owner_id, viewer, customer.owner_id),
            custom_fields=custom_fields,
            stage_entered_at=now,
            closed_at=None if status == OpportunityStatus.OPEN else now,
        )
        for line in lines:
            line.opportunity_id = opportunity.id
        await LineItem.bulk_create(lines)
        await StageChange.create(
            workspace_id=viewer.workspace_id,
            opportunity_id=opportunity.id,
            from_stage_id=None,
            to_stage_id=stage.id,
            changed_at=now,
            changed_by_id=viewer.user_id,
        )
        history = changes_of(
            ChangedEntity.OPPORTUNITY,
            opportunity.id,
            customer.id,
            None,
            values_of(ChangedEntity.OPPORTUNITY, opportunity),
        )
        await record_changes(viewer, through, history, at=now)
    return opportunity


async def get_opportunity(
    viewer: Viewer, opportunity_id: int, field: str = "id", *, lock: bool = False
) -> Opportunity:
    """The viewer's workspace's opportunity; another workspace's is NOT_FOUND on `field`.
    `lock`: held until the caller's transaction ends (PostgreSQL; SQLite has one writer)."""
    query = Opportunity.filter(id=opportunity_id, workspace_id=viewer.workspace_id)
    opportunity = await (query.select_for_update() if lock else query).first()
    if opportunity is None:
        raise not_found(field, "Opportunity")
    return opportunity


async def update_opportunity(
    viewer: Viewer, opportunity_id: int, changes: dict[str, Any], *, through: Through = VIA_API
) -> Opportunity:
    # Locked until the change commits: two edits at once must not each write back the
    # custom fields (or the quote) they read, losing the other's.
    async with in_transaction():
        opportunity = await get_opportunity(viewer, opportunity_id, lock=True)
        await check_change_of(viewer, opportunity.customer_id, "id", "Opportunity")
        return await _change_opportunity(viewer, opportunity, changes, through)


async def _change_opportunity(
    viewer: Viewer, opportunity: Opportunity, changes: dict[str, Any], through: Through
) -> Opportunity:
    problems = Problems()
    updates: dict[str, Any] = {}
    if "name" in changes:
        updates["name"] = check_name(problems, "input.name", changes["name"])
    if "currency" in changes:
        updates["currency"] = check_currency(
            problems, "input.currency", changes["currency"], opportunity.currency
        )
        if changes.get("line_items") is None:
            quoted = LineItem.filter(opportunity_id=opportunity.id, product_id__not_isnull=True)
            # Tortoise types a flat values_list as tuples; it gives the column's values.
            currencies = cast(list[str], await quoted.values_list("product__currency", flat=True))
            check_line_currencies(problems, "input.currency", updates["currency"], currencies)
    if "probability" in changes:
        probability = changes["probability"]
        if probability is not None and not 0 <= probability <= 100:
            problems.add("input.probability", PROBABILITY_RANGE)
        updates["probability_override"] = probability
    if "expected_close_date" in changes:
        updates["expected_close_date"] = check_date(
            problems, "input.expectedCloseDate", changes["expected_close_date"]
        )
    if "owner_id" in changes:
        await check_member(problems, "input.ownerId", viewer, changes["owner_id"])
        updates["owner_id"] = changes["owner_id"]
    if "custom_fields" in changes:
        updates["custom_fields"] = await clean_custom_fields(
            problems,
            viewer,
            CustomFieldEntity.OPPORTUNITY,
            changes["custom_fields"],
            existing=opportunity.custom_fields,
            path="input.customFields",
        )
    if "amount" in changes:
        updates["amount"] = check_money(problems, "input.amount", changes["amount"]) or Decimal(0)
    lines: list[LineItem] | None = None
    if changes.get("line_items") is not None:
        currency = updates.get("currency", opportunity.currency)
        lines, _ = await _build_line_items(problems, viewer, changes["line_items"], currency)
    if (
        lines is None
        and "amount" in updates
        and await LineItem.filter(opportunity_id=opportunity.id).exists()
    ):
        problems.add("input.amount", AMOUNT_IS_LINE_SUM, ErrorCode.CONFLICT)
    problems.raise_if_any()
    if "owner_id" in updates and updates["owner_id"] != opportunity.owner_id:
        await check_reassign(viewer, opportunity.owner_id, updates["owner_id"], "input.ownerId")

    if lines is not None:
        # The lines given replace the quote; with no lines the amount is typed by hand.
        await LineItem.filter(opportunity_id=opportunity.id).delete()
        for line in lines:
            line.opportunity_id = opportunity.id
        await LineItem.bulk_create(lines)
        if lines:
            updates["amount"] = sum((line.total for line in lines), Decimal(0))
    if updates:
        before = values_of(ChangedEntity.OPPORTUNITY, opportunity)
        opportunity.update_from_dict(updates)
        await opportunity.save(update_fields=[*updates, "updated_at"])
        history = changes_of(
            ChangedEntity.OPPORTUNITY, opportunity.id, opportunity.customer_id, before, updates
        )
        await record_changes(viewer, through, history, at=opportunity.updated_at)
    return opportunity
