"""The sales process: pipelines, stages, products and opportunities."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from api.accounts.types import User
from api.activities.types import Activity
from api.context import Info
from api.core.errors import UserError, errors_field
from api.core.ids import to_global_id
from api.core.list_bounds import at_most
from api.core.node import Node, node_by_loader
from api.core.pagination import Connection, child_connection
from api.core.types import model_is_type_of
from api.customers.types import Customer
from domain.opportunities import MAX_LINE_ITEMS, effective_probability, weighted_amount
from domain.pipelines import MAX_CHECKLIST_ITEMS, MAX_STAGES
from domain.stages import RECENT_STAGE_CHANGES, days_in_stage, is_rotting
from models import ChecklistItem as ChecklistItemModel
from models import LineItem as LineItemModel
from models import Opportunity as OpportunityModel
from models import Pipeline as PipelineModel
from models import Product as ProductModel
from models import Stage as StageModel
from models import StageChange as StageChangeModel
from models.enums import OpportunityStatus as OpportunityStatusEnum
from models.enums import StageKind as StageKindEnum

StageKind = strawberry.enum(StageKindEnum, name="StageKind")
OpportunityStatus = strawberry.enum(OpportunityStatusEnum, name="OpportunityStatus")


@strawberry.type
class ChecklistItem:
    title: str
    required: bool = strawberry.field(
        description="A required item must be done before an opportunity may leave the stage "
        "forwards."
    )

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("ChecklistItem", self.pk))  # type: ignore[attr-defined]

    is_type_of = model_is_type_of(ChecklistItemModel)


@strawberry.type
class Stage(Node):
    name: str
    position: int
    probability: int = strawberry.field(description="Default win probability in percent, 0 to 100.")
    kind: StageKind
    rotting_days: int | None = strawberry.field(
        description="Idle days after which an opportunity in this stage counts as rotting."
    )
    is_type_of = model_is_type_of(StageModel)
    load_node = node_by_loader(lambda loaders: loaders.stage_by_id)

    @strawberry.field(
        description=f"In order; at most {MAX_CHECKLIST_ITEMS} items.",
        metadata=at_most(MAX_CHECKLIST_ITEMS),
    )
    async def checklist(self, info: Info) -> list[ChecklistItem]:
        return await info.context.loaders.checklist_by_stage.load(self.pk)  # type: ignore[attr-defined]


@strawberry.type
class Pipeline(Node):
    name: str
    is_default: bool
    is_type_of = model_is_type_of(PipelineModel)
    load_node = node_by_loader(lambda loaders: loaders.pipeline_by_id)

    @strawberry.field(
        description=f"In position order; at most {MAX_STAGES}.", metadata=at_most(MAX_STAGES)
    )
    async def stages(self, info: Info) -> list[Stage]:
        return await info.context.loaders.stages_by_pipeline.load(self.pk)  # type: ignore[attr-defined]


@strawberry.type
class Product(Node):
    name: str
    sku: str | None
    unit_price: Decimal
    currency: str
    active: bool
    is_type_of = model_is_type_of(ProductModel)
    load_node = node_by_loader(lambda loaders: loaders.product_by_id)


@strawberry.type
class LineItem:
    name: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = strawberry.field(description="Percent, 0 to 100.")
    total: Decimal
    is_type_of = model_is_type_of(LineItemModel)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("LineItem", self.pk))  # type: ignore[attr-defined]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        product_id = self.product_id  # type: ignore[attr-defined]
        return (
            None
            if product_id is None
            else await info.context.loaders.product_by_id.load(product_id)
        )


@strawberry.type
class ChecklistItemState:
    item: ChecklistItem
    done: bool
    done_at: datetime | None
    done_by_id: strawberry.Private[int | None]

    @strawberry.field
    async def done_by(self, info: Info) -> User | None:
        if self.done_by_id is None:
            return None
        return await info.context.loaders.user_by_id.load(self.done_by_id)


@strawberry.type
class StageChange:
    changed_at: datetime
    is_type_of = model_is_type_of(StageChangeModel)

    @strawberry.field(name="from")
    async def from_(self, info: Info) -> Stage | None:
        stage_id = self.from_stage_id  # type: ignore[attr-defined]
        return None if stage_id is None else await info.context.loaders.stage_by_id.load(stage_id)

    @strawberry.field
    async def to(self, info: Info) -> Stage:
        return await info.context.loaders.stage_by_id.load(self.to_stage_id)  # type: ignore[attr-defined]

    @strawberry.field
    async def changed_by(self, info: Info) -> User | None:
        user_id = self.changed_by_id  # type: ignore[attr-defined]
        return None if user_id is None else await info.context.loaders.user_by_id.load(user_id)


@strawberry.type
class Opportunity(Node):
    name: str
    status: OpportunityStatus
    amount: Decimal = strawberry.field(
        description="Sum of the line items' totals when there are line items."
    )
    currency: str
    expected_close_date: date | None
    closed_at: datetime | None
    lost_reason: str | None
    custom_fields: JSON
    external_id: str | None = strawberry.field(
        description="An integrator's id for the deal, unique in the workspace (imports)."
    )
    created_at: datetime
    updated_at: datetime
    is_type_of = model_is_type_of(OpportunityModel)
    load_node = node_by_loader(lambda loaders: loaders.opportunity_by_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await info.context.loaders.customer_by_id.load(self.customer_id)  # type: ignore[attr-defined]

    @strawberry.field
    async def pipeline(self, info: Info) -> Pipeline:
        return await info.context.loaders.pipeline_by_id.load(self.pipeline_id)  # type: ignore[attr-defined]

    @strawberry.field
    async def stage(self, info: Info) -> Stage:
        return await info.context.loaders.stage_by_id.load(self.stage_id)  # type: ignore[attr-defined]

    @strawberry.field(description="Percent, 0 to 100: the stage's unless overridden.")
    async def probability(self, info: Info) -> int:
        stage = await info.context.loaders.stage_by_id.load(self.stage_id)  # type: ignore[attr-defined]
        return effective_probability(self, stage)  # type: ignore[arg-type]

    @strawberry.field(description="amount × probability / 100")
    async def weighted_amount(self, info: Info) -> Decimal:
        stage = await info.context.loaders.stage_by_id.load(self.stage_id)  # type: ignore[attr-defined]
        return weighted_amount(self, stage)  # type: ignore[arg-type]

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        owner_id = self.owner_id  # type: ignore[attr-defined]
        return None if owner_id is None else await info.context.loaders.user_by_id.load(owner_id)

    @strawberry.field(
        description=f"The quote, in order; a deal has at most {MAX_LINE_ITEMS} lines.",
        metadata=at_most(MAX_LINE_ITEMS),
    )
    async def line_items(self, info: Info) -> list[LineItem]:
        return await info.context.loaders.line_items_by_opportunity.load(self.pk)  # type: ignore[attr-defined]

    @strawberry.field(
        description=f"The current stage's checklist (at most {MAX_CHECKLIST_ITEMS} items) and "
        "what of it is done.",
        metadata=at_most(MAX_CHECKLIST_ITEMS),
    )
    async def checklist(self, info: Info) -> list[ChecklistItemState]:
        loaders = info.context.loaders
        items = await loaders.checklist_by_stage.load(self.stage_id)  # type: ignore[attr-defined]
        states = {
            state.item_id: state
            for state in await loaders.checklist_states_by_opportunity.load(self.pk)  # type: ignore[attr-defined]
        }
        result = []
        for item in items:
            state = states.get(item.pk)
            result.append(
                ChecklistItemState(
                    item=item,
                    done=bool(state and state.done),
                    done_at=state.done_at if state and state.done else None,
                    done_by_id=state.done_by_id if state and state.done else None,
                )
            )
        return result

    @strawberry.field(description="Whole days since the opportunity entered its stage.")
    def days_in_stage(self) -> int:
        return days_in_stage(self)  # type: ignore[arg-type]

    @strawberry.field(
        description="Open, and idle (no stage move, no activity) for at least the stage's "
        "rotting days."
    )
    async def is_rotting(self, info: Info) -> bool:
        stage = await info.context.loaders.stage_by_id.load(self.stage_id)  # type: ignore[attr-defined]
        return is_rotting(self, stage)  # type: ignore[arg-type]

    @strawberry.field(
        description=f"The last {RECENT_STAGE_CHANGES} stages the opportunity entered, oldest "
        "first; `stageChanges` pages through all of them.",
        metadata=at_most(RECENT_STAGE_CHANGES),
    )
    async def stage_history(self, info: Info) -> list[StageChange]:
        loader = info.context.loaders.recent_stage_changes_by_opportunity
        return await loader.load(self.pk)  # type: ignore[attr-defined]

    @strawberry.field(description="Every stage the opportunity entered, oldest first.")
    async def stage_changes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StageChange]:
        return await child_connection(
            info.context.loaders.stage_changes_by_opportunity,
            self.pk,
            first,
            after,  # type: ignore[attr-defined]
        )

    @strawberry.field(description="Newest first.")
    async def activities(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Activity]:
        return await child_connection(
            info.context.loaders.activities_by_opportunity,
            self.pk,
            first,
            after,  # type: ignore[attr-defined]
        )


@strawberry.type
class OpportunityPayload:
    opportunity: Opportunity | None
    errors: list[UserError] = errors_field()


@strawberry.type
class ProductPayload:
    product: Product | None
    errors: list[UserError] = errors_field()


@strawberry.type
class PipelinePayload:
    pipeline: Pipeline | None
    errors: list[UserError] = errors_field()
