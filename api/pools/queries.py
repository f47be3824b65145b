"""Reading pools and transfers."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.core.list_bounds import at_most
from api.core.node import resolve_node
from api.pools.types import CustomerPool, CustomerTransfer
from domain.pools import MAX_POOLS, visible_pools
from models import CustomerPool as CustomerPoolModel


@strawberry.type
class PoolQueries:
    @strawberry.field(
        description="The pools (公海) the viewer sees: the default first, then by name.",
        metadata=at_most(MAX_POOLS),
        graphql_type=list[CustomerPool],
    )
    async def pools(self, info: Info) -> list[CustomerPoolModel]:
        return await visible_pools(info.context.require_viewer())

    @strawberry.field(description="A transfer the viewer made (an admin: any), with its progress.")
    async def customer_transfer(self, info: Info, id: strawberry.ID) -> CustomerTransfer | None:
        return await resolve_node(info, id, "CustomerTransfer")
