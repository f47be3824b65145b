"""The sales process: pipelines, stages, products and opportunities."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

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
from api.history.loaders import record_history
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
from models.enums import ChangedEntity
from models.enums import OpportunityStatus as OpportunityStatusEnum
from models.enums import StageKind as StageKindEnum

if TYPE_CHECKING:
    from api.history.types import FieldChange

FieldChangeType = Annotated["FieldChange", strawberry.lazy("api.history.types")]

# The domain's enums are the GraphQL enums: `strawberry.enum` registers the GraphQL
# name on the class itself, and the alias keeps it a type for the type checker.
StageKind = StageKindEnum
strawberry.enum(StageKind, name="StageKind")
OpportunityStatus = OpportunityStatusEnum
strawberry.enum(OpportunityStatus, name="OpportunityStatus")


@strawberry.type
class ChecklistItem:
    title: str
    required: bool = strawberry.field(
        description="A required item must be done before an opportunity may leave the stage "
        "forwards."
    )

    @strawberry.field
    @staticmethod
    def id(parent: strawberry.Parent[ChecklistItemModel]) -> strawberry.ID:
        return strawberry.ID(to_global_id("ChecklistItem", parent.pk))

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
    @staticmethod
    async def checklist(parent: strawberry.Parent[StageModel], info: Info) -> list[ChecklistItem]:
        return await info.context.loaders.checklist_by_stage.load(parent.pk)


@strawberry.type
class Pipeline(Node):
    name: str
    is_default: bool
    is_type_of = model_is_type_of(PipelineModel)
    load_node = node_by_loader(lambda loaders: loaders.pipeline_by_id)

    @strawberry.field(
        description=f"In position order; at most {MAX_STAGES}.", metadata=at_most(MAX_STAGES)
    )
    @staticmethod
    async def stages(parent: strawberry.Parent[PipelineModel], info: Info) -> list[Stage]:
        return await info.context.loaders.stages_by_pipeline.load(parent.pk)


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
    @staticmethod
    def id(parent: strawberry.Parent[LineItemModel]) -> strawberry.ID:
        return strawberry.ID(to_global_id("LineItem", parent.pk))

    @strawberry.field
    @staticmethod
    async def product(parent: strawberry.Parent[LineItemModel], info: Info) -> Product | None:
        product_id = parent.product_id
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
    @staticmethod
    async def from_(parent: strawberry.Parent[StageChangeModel], info: Info) -> Stage | None:
        stage_id = parent.from_stage_id
        return None if stage_id is None else await info.context.loaders.stage_by_id.load(stage_id)

    @strawberry.field
    @staticmethod
    async def to(parent: strawberry.Parent[StageChangeModel], info: Info) -> Stage:
        return await info.context.loaders.stage_by_id.load(parent.to_stage_id)

    @strawberry.field
    @staticmethod
    async def changed_by(parent: strawberry.Parent[StageChangeModel], info: Info) -> User | None:
        user_id = parent.changed_by_id
        return None if user_id is None else await info.context.loaders.user_by_id.load(user_id)

    @strawberry.field(description="The deal that moved (a customer's timeline names it).")
    @staticmethod
    async def opportunity(parent: strawberry.Parent[StageChangeModel], info: Info) -> Opportunity:
        return await info.context.loaders.opportunity_by_id.load(parent.opportunity_id)


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
    @staticmethod
    async def customer(parent: strawberry.Parent[OpportunityModel], info: Info) -> Customer:
        return await info.context.loaders.customer_by_id.load(parent.customer_id)

    @strawberry.field
    @staticmethod
    async def pipeline(parent: strawberry.Parent[OpportunityModel], info: Info) -> Pipeline:
        return await info.context.loaders.pipeline_by_id.load(parent.pipeline_id)

    @strawberry.field
    @staticmethod
    async def stage(parent: strawberry.Parent[OpportunityModel], info: Info) -> Stage:
        return await info.context.loaders.stage_by_id.load(parent.stage_id)

    @strawberry.field(description="Percent, 0 to 100: the stage's unless overridden.")
    @staticmethod
    async def probability(parent: strawberry.Parent[OpportunityModel], info: Info) -> int:
        stage = await info.context.loaders.stage_by_id.load(parent.stage_id)
        return effective_probability(parent, stage)

    @strawberry.field(description="amount × probability / 100")
    @staticmethod
    async def weighted_amount(parent: strawberry.Parent[OpportunityModel], info: Info) -> Decimal:
        stage = await info.context.loaders.stage_by_id.load(parent.stage_id)
        return weighted_amount(parent, stage)

    @strawberry.field
    @staticmethod
    async def owner(parent: strawberry.Parent[OpportunityModel], info: Info) -> User | None:
        owner_id = parent.owner_id
        return None if owner_id is None else await info.context.loaders.user_by_id.load(owner_id)

    @strawberry.field(
        description=f"The quote, in order; a deal has at most {MAX_LINE_ITEMS} lines.",
        metadata=at_most(MAX_LINE_ITEMS),
    )
    @staticmethod
    async def line_items(parent: strawberry.Parent[OpportunityModel], info: Info) -> list[LineItem]:
        return await info.context.loaders.line_items_by_opportunity.load(parent.pk)

    @strawberry.field(
        description=f"The current stage's checklist (at most {MAX_CHECKLIST_ITEMS} items) and "
        "what of it is done.",
        metadata=at_most(MAX_CHECKLIST_ITEMS),
    )
    @staticmethod
    async def checklist(
        parent: strawberry.Parent[OpportunityModel], info: Info
    ) -> list[ChecklistItemState]:
        loaders = info.context.loaders
        items = await loaders.checklist_by_stage.load(parent.stage_id)
        states = {
            state.item_id: state
            for state in await loaders.checklist_states_by_opportunity.load(parent.pk)
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
    @staticmethod
    def days_in_stage(parent: strawberry.Parent[OpportunityModel]) -> int:
        return days_in_stage(parent)

    @strawberry.field(
        description="Open, and idle (no stage move, no activity) for at least the stage's "
        "rotting days."
    )
    @staticmethod
    async def is_rotting(parent: strawberry.Parent[OpportunityModel], info: Info) -> bool:
        stage = await info.context.loaders.stage_by_id.load(parent.stage_id)
        return is_rotting(parent, stage)

    @strawberry.field(
        description=f"The last {RECENT_STAGE_CHANGES} stages the opportunity entered, oldest "
        "first; `stageChanges` pages through all of them.",
        metadata=at_most(RECENT_STAGE_CHANGES),
    )
    @staticmethod
    async def stage_history(
        parent: strawberry.Parent[OpportunityModel], info: Info
    ) -> list[StageChange]:
        loader = info.context.loaders.recent_stage_changes_by_opportunity
        return await loader.load(parent.pk)

    @strawberry.field(description="Every stage the opportunity entered, oldest first.")
    @staticmethod
    async def stage_changes(
        parent: strawberry.Parent[OpportunityModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StageChange]:
        return await child_connection(
            info.context.loaders.stage_changes_by_opportunity,
            parent.pk,
            first,
            after,
        )

    @strawberry.field(
        description="Every change of the deal's fields (its stage moves included), newest first."
    )
    @staticmethod
    async def history(
        parent: strawberry.Parent[OpportunityModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[FieldChangeType]:
        return await record_history(
            info.context.loaders, ChangedEntity.OPPORTUNITY, parent.pk, first, after
        )

    @strawberry.field(description="Newest first.")
    @staticmethod
    async def activities(
        parent: strawberry.Parent[OpportunityModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Activity]:
        return await child_connection(
            info.context.loaders.activities_by_opportunity,
            parent.pk,
            first,
            after,
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
