"""Reading customers: one by id, or a filtered, ordered, paged list."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.core.node import resolve_node
from api.core.ordering import ordering
from api.core.pagination import Connection, paginate
from api.customers.filters import DEFAULT_ORDER, CustomerFilter, CustomerOrder, filter_customers
from api.customers.types import Customer


@strawberry.type
class CustomerQueries:
    @strawberry.field
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        return await resolve_node(info, id, "Customer")

    @strawberry.field
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: CustomerFilter | None = None,
        order_by: CustomerOrder | None = None,
    ) -> Connection[Customer]:
        viewer = info.context.require_viewer()
        return await paginate(
            await filter_customers(viewer, filter),
            ordering(order_by, DEFAULT_ORDER),
            first=first,
            after=after,
            last=last,
            before=before,
        )
