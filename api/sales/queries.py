"""Reading pipelines, products and opportunities."""

from __future__ import annotations

import strawberry
from tortoise.expressions import Q

from api.context import Info
from api.core.list_bounds import at_most
from api.core.ordering import ordering
from api.core.pagination import Connection, Ordering, paginate
from api.sales.filters import (
    DEFAULT_ORDER,
    OpportunityFilter,
    OpportunityOrder,
    filter_opportunities,
)
from api.sales.types import Opportunity, Pipeline, Product
from domain.pipelines import MAX_PIPELINES
from domain.validation import clean_text
from models import Pipeline as PipelineModel
from models import Product as ProductModel


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
        return await paginate(
            await filter_opportunities(viewer, filter),
            ordering(order_by, DEFAULT_ORDER),
            first=first,
            after=after,
            last=last,
            before=before,
        )
