"""Creating products and opportunities, and changing opportunities."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.core.ids import decode_id
from api.core.mutations import perform
from api.sales.inputs import OpportunityInput, OpportunityPatch, ProductInput
from api.sales.types import OpportunityPayload, ProductPayload
from domain import opportunities, products


@strawberry.type
class SalesMutations:
    @strawberry.mutation
    async def create_product(self, info: Info, input: ProductInput) -> ProductPayload:
        return await perform(
            info,
            ProductPayload,
            lambda viewer: products.create_product(
                viewer,
                name=input.name,
                sku=input.sku,
                unit_price=input.unit_price,
                currency=input.currency,
            ),
        )

    @strawberry.mutation
    async def create_opportunity(self, info: Info, input: OpportunityInput) -> OpportunityPayload:
        return await perform(
            info,
            OpportunityPayload,
            lambda viewer: opportunities.create_opportunity(viewer, input.to_data()),
        )

    @strawberry.mutation
    async def update_opportunity(
        self, info: Info, id: strawberry.ID, input: OpportunityPatch
    ) -> OpportunityPayload:
        return await perform(
            info,
            OpportunityPayload,
            lambda viewer: opportunities.update_opportunity(
                viewer, decode_id(id, "Opportunity", "id"), input.to_changes()
            ),
        )
