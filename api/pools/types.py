"""Pools (公海) with their rules, and customer transfers with their progress."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.accounts.types import User
from api.context import Info
from api.core.errors import UserError, errors_field
from api.core.ids import to_global_id
from api.core.list_bounds import at_most
from api.core.node import Node
from api.core.types import model_is_type_of
from api.customers.types import CustomerKind
from domain.errors import DomainError
from domain.pools import get_pool
from domain.transfers import get_transfer
from domain.viewer import Viewer
from models import CustomerPool as CustomerPoolModel
from models import CustomerTransfer as CustomerTransferModel
from models.enums import TransferStatus as TransferStatusEnum

TransferStatus = TransferStatusEnum
strawberry.enum(TransferStatus, name="TransferStatus")


@strawberry.type(
    description="A pool (公海) of customers nobody owns, and the rules that return customers "
    "to it. A rule or limit that is null is off."
)
class CustomerPool(Node):
    name: str
    is_default: bool = strawberry.field(
        description="The workspace's default pool: everyone's, where customers of no team's "
        "pool go."
    )
    no_activity_days: int | None = strawberry.field(
        description="Return a customer with no activity (nor a new owner) for this many days."
    )
    no_open_deal_days: int | None = strawberry.field(
        description="Return a customer without an open deal for this many days."
    )
    no_won_deal_days: int | None = strawberry.field(
        description="Return a customer without a won deal within this many days."
    )
    score_min: float | None
    score_max: float | None
    exempt_deal_probability: int | None = strawberry.field(
        description="A customer with an open deal at this win probability or above stays."
    )
    warn_days_before: int = strawberry.field(
        description="The owner is warned (a POOL_WARNING reminder) this many days before."
    )
    max_locks_per_rep: int
    max_customers_per_rep: int | None
    max_claims_per_day: int | None
    claim_cooldown_days: int = strawberry.field(
        description="Days before a customer's previous owner may claim it back."
    )
    mask_contacts: bool
    created_at: datetime
    updated_at: datetime
    is_type_of = model_is_type_of(CustomerPoolModel)

    @classmethod
    async def load_node(cls, info: Info, viewer: Viewer, pk: int) -> CustomerPoolModel | None:
        # The pools the viewer sees, the only ones they reach.
        try:
            return await get_pool(viewer, pk)
        except DomainError:
            return None

    @strawberry.field(description="The team whose pool it is; null: everyone's.")
    @staticmethod
    def team_id(parent: strawberry.Parent[CustomerPoolModel]) -> strawberry.ID | None:
        team_id = parent.team_id
        return None if team_id is None else strawberry.ID(to_global_id("Team", team_id))

    @strawberry.field(
        description="The kinds of customer the rules apply to (empty: all).",
        metadata=at_most(len(CustomerKind)),
    )
    @staticmethod
    def kinds(parent: strawberry.Parent[CustomerPoolModel]) -> list[CustomerKind]:
        return [CustomerKind(kind) for kind in parent.kinds[: len(CustomerKind)]]


@strawberry.type(description="A transfer of customers to another owner, and how far it got.")
class CustomerTransfer(Node):
    status: TransferStatus
    total: int = strawberry.field(description="Customers named.")
    done: int = strawberry.field(description="Customers handled so far.")
    transferred: int = strawberry.field(
        description="Customers that changed owner (one the receiver held already did not)."
    )
    with_open_deals: bool
    with_pending_reminders: bool
    created_at: datetime
    finished_at: datetime | None
    is_type_of = model_is_type_of(CustomerTransferModel)

    @classmethod
    async def load_node(cls, info: Info, viewer: Viewer, pk: int) -> CustomerTransferModel | None:
        return await get_transfer(viewer, pk)

    @strawberry.field
    @staticmethod
    async def to_user(parent: strawberry.Parent[CustomerTransferModel], info: Info) -> User | None:
        return await info.context.loaders.user_by_id.load(parent.to_user_id)


@strawberry.type
class CustomerPoolPayload:
    pool: CustomerPool | None
    errors: list[UserError] = errors_field()


@strawberry.type
class CustomerTransferPayload:
    transfer: CustomerTransfer | None
    errors: list[UserError] = errors_field()
