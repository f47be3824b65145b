"""Opportunity list filters and orderings, turned into one scoped queryset."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry
from tortoise.queryset import QuerySet

from api.core.ids import filter_id
from api.core.ordering import OrderDirection
from api.core.pagination import Ordering
from api.sales.types import OpportunityStatus
from domain.viewer import Viewer
from domain.visibility import customer_filter
from models import Opportunity


@strawberry.input
class OpportunityFilter:
    pipeline_id: strawberry.ID | None = None
    stage_id: strawberry.ID | None = None
    status: OpportunityStatus | None = None
    owner_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    expected_close_before: date | None = None


_ID_FILTERS = (
    ("pipeline_id", "Pipeline"),
    ("stage_id", "Stage"),
    ("owner_id", "User"),
    ("customer_id", "Customer"),
)


@strawberry.enum
class OpportunityOrderField(Enum):
    AMOUNT = "amount"
    EXPECTED_CLOSE_DATE = "expected_close_date"
    UPDATED_AT = "updated_at"
    CREATED_AT = "created_at"


@strawberry.input
class OpportunityOrder:
    field: OpportunityOrderField
    direction: OrderDirection


# Recently changed first, unless `orderBy` says otherwise.
DEFAULT_ORDER = Ordering("updated_at", descending=True)


async def filter_opportunities(
    viewer: Viewer, flt: OpportunityFilter | None
) -> QuerySet[Opportunity]:
    """The deals the viewer sees (those of the customers they see) matching every filter
    given; a foreign or malformed id matches none."""
    seen = await customer_filter(viewer, "customer__")
    query = Opportunity.filter(seen, workspace_id=viewer.workspace_id)
    if flt is None:
        return query
    for attribute, type_name in _ID_FILTERS:
        global_id = getattr(flt, attribute)
        if global_id is not None:
            query = query.filter(**{attribute: filter_id(global_id, type_name)})
    if flt.status is not None:
        query = query.filter(status=flt.status)
    if flt.expected_close_before is not None:
        query = query.filter(expected_close_date__lte=flt.expected_close_before)
    return query
