"""Reading pipelines, products and opportunities."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry
from tortoise.expressions import Q

from api.context import Info
from api.core.ids import decode_id
from api.core.list_bounds import at_most
from api.core.pagination import Connection, Ordering, paginate
from api.customers.filters import OrderDirection
from api.sales.types import Opportunity, OpportunityStatus, Pipeline, Product
from domain.errors import DomainError
from domain.pipelines import MAX_PIPELINES
from domain.validation import clean_text
from models import Opportunity as OpportunityModel
from models import Pipeline as PipelineModel
from models import Product as ProductModel


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


@strawberry.type
class SalesQueries:
    @strawberry.field(
        description=f"The workspace's pipelines, the default one first; at most {MAX_PIPELINES}.",
        metadata=at_most(MAX_PIPELINES),
        graphql_type=list[Pipeline],
    )
    async def pipelines(self, info: Info) -> list[PipelineModel]:
        viewer = info.context.require_viewer()
        return (
            await PipelineModel.filter(workspace_id=viewer.workspace_id)
            .order_by("-is_default", "id")
            .limit(MAX_PIPELINES)  # even for a workspace that made more before the rule
        )

    @strawberry.field(description="Products by name; `search` matches name and SKU.")
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[Product]:
        viewer = info.context.require_viewer()
        query = ProductModel.filter(workspace_id=viewer.workspace_id)
        if text := clean_text(search):
            query = query.filter(Q(name__icontains=text) | Q(sku__icontains=text))
        return await paginate(query, Ordering("name"), first=first, after=after)

    @strawberry.field(description="Most recently changed first, unless `orderBy` says otherwise.")
    async def opportunities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: OpportunityFilter | None = None,
        order_by: OpportunityOrder | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Opportunity]:
        viewer = info.context.require_viewer()
        query = OpportunityModel.filter(workspace_id=viewer.workspace_id)
        if filter is not None:
            for attribute, type_name in _ID_FILTERS:
                global_id = getattr(filter, attribute)
                if global_id is None:
                    continue
                try:
                    pk = decode_id(global_id, type_name, f"filter.{attribute}")
                except DomainError:
                    pk = 0  # a foreign or malformed id matches nothing
                query = query.filter(**{attribute: pk})
            if filter.status is not None:
                query = query.filter(status=filter.status)
            if filter.expected_close_before is not None:
                query = query.filter(expected_close_date__lte=filter.expected_close_before)
        ordering = (
            Ordering("updated_at", descending=True)
            if order_by is None
            else Ordering(
                order_by.field.value, descending=order_by.direction == OrderDirection.DESC
            )
        )
        return await paginate(query, ordering, first=first, after=after, last=last, before=before)
