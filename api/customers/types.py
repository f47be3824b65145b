"""Customers (companies or people) and their contacts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from api.accounts.types import User
from api.context import Info
from api.core.errors import UserError, errors_field
from api.core.list_bounds import at_most
from api.core.node import Node, node_by_loader
from api.core.pagination import Connection, child_connection
from api.core.types import model_is_type_of
from api.customers.masking import reads_masked
from api.history.loaders import record_history
from domain.masking import mask_email, mask_phone
from domain.scoring.rules import COMPONENTS
from models import Contact as ContactModel
from models import Customer as CustomerModel
from models.enums import ChangedEntity
from models.enums import CustomerKind as CustomerKindEnum

if TYPE_CHECKING:
    from api.activities.types import Activity
    from api.history.types import FieldChange, TimelineConnection
    from api.pools.types import CustomerPool
    from api.sales.types import Opportunity, OpportunityStatus

# The domain's enums are the GraphQL enums: `strawberry.enum` registers the GraphQL
# name on the class itself, and the alias keeps it a type for the type checker.
CustomerKind = CustomerKindEnum
strawberry.enum(
    CustomerKind,
    name="CustomerKind",
    description="A company or organisation (B2B), or an individual (B2C).",
)

ActivityType = Annotated["Activity", strawberry.lazy("api.activities.types")]
OpportunityType = Annotated["Opportunity", strawberry.lazy("api.sales.types")]
OpportunityStatusType = Annotated["OpportunityStatus", strawberry.lazy("api.sales.types")]
CustomerPoolType = Annotated["CustomerPool", strawberry.lazy("api.pools.types")]
FieldChangeType = Annotated["FieldChange", strawberry.lazy("api.history.types")]
TimelineConnectionType = Annotated["TimelineConnection", strawberry.lazy("api.history.types")]


@strawberry.type
class ScoreComponent:
    key: str = strawberry.field(
        description='Stable machine name, e.g. "recency", "frequency", "pipeline", "profile".'
    )
    label: str
    points: float = strawberry.field(description="Points this component adds to the score.")
    reason: str = strawberry.field(description="Why, in words a salesperson understands.")


# A REP reads a pooled customer's phone and e-mail, and its contacts', masked while its
# pool says so, until they claim it (`domain.masking` says how).
MASKED_PHONE = (
    "A REP reads it masked while the customer is in a pool that masks contact details, "
    'until claimed: "138****5678" (11 digits or more), "****1234" (8 to 10), "****".'
)
MASKED_EMAIL = (
    "A REP reads it masked while the customer is in a pool that masks contact details, "
    'until claimed: "w****@example.com".'
)


async def _pooled_detail(
    info: Info, customer: CustomerModel, value: str | None, masked: str | None
) -> str | None:
    return masked if await reads_masked(info, customer) else value


async def _contact_detail(
    info: Info, contact: ContactModel, value: str | None, masked: str | None
) -> str | None:
    customer = await info.context.loaders.customer_by_id.load(contact.customer_id)
    # (a customer the viewer does not see shows nothing of its contacts in full)
    return masked if customer is None or await reads_masked(info, customer) else value


@strawberry.type
class Customer(Node):
    name: str
    kind: CustomerKind
    website: str | None
    industry: str | None
    lead_source: str | None
    tags: list[str]
    external_id: str | None = strawberry.field(
        description="The integrator's own id for this customer; unique in a workspace."
    )
    custom_fields: JSON
    score: float | None = strawberry.field(description="0 to 100; null until first scored.")
    scored_at: datetime | None
    last_activity_at: datetime | None
    next_follow_up_at: datetime | None
    locked_at: datetime | None = strawberry.field(
        description="When its owner locked it against the pool's returns; null: not locked."
    )
    pooled_at: datetime | None = strawberry.field(
        description="When it last went to the pool (公海), released or returned by a rule."
    )
    created_at: datetime
    updated_at: datetime
    is_type_of = model_is_type_of(CustomerModel)
    load_node = node_by_loader(lambda loaders: loaders.customer_by_id)

    # An owned customer's details read as they are, without a coroutine (most of a list).
    @strawberry.field(description=MASKED_PHONE, graphql_type=str | None)
    @staticmethod
    def phone(parent: strawberry.Parent[CustomerModel], info: Info) -> Any:
        if parent.owner_id is not None:
            return parent.phone
        masked = mask_phone(parent.phone, parent.phone_normalized)
        return _pooled_detail(info, parent, parent.phone, masked)

    @strawberry.field(description=MASKED_EMAIL, graphql_type=str | None)
    @staticmethod
    def email(parent: strawberry.Parent[CustomerModel], info: Info) -> Any:
        if parent.owner_id is not None:
            return parent.email
        return _pooled_detail(info, parent, parent.email, mask_email(parent.email))

    @strawberry.field
    @staticmethod
    async def owner(parent: strawberry.Parent[CustomerModel], info: Info) -> User | None:
        owner_id = parent.owner_id
        return None if owner_id is None else await info.context.loaders.user_by_id.load(owner_id)

    @strawberry.field(description="The pool (公海) it is in while nobody owns it; else null.")
    @staticmethod
    async def pool(parent: strawberry.Parent[CustomerModel], info: Info) -> CustomerPoolType | None:
        if parent.owner_id is not None:
            return None
        return await info.context.loaders.pool_by_id.load(parent.pool_id or 0)

    @strawberry.field(
        description="One entry per component of the score (recency, frequency, pipeline, "
        "profile); empty until the customer is scored.",
        metadata=at_most(len(COMPONENTS)),
    )
    @staticmethod
    def score_breakdown(parent: strawberry.Parent[CustomerModel]) -> list[ScoreComponent]:
        stored = parent.score_breakdown[: len(COMPONENTS)]
        return [ScoreComponent(**component) for component in stored]

    @strawberry.field
    @staticmethod
    async def contacts(
        parent: strawberry.Parent[CustomerModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Contact]:
        # Its contacts' details read as the customer's: the loader holds it for them.
        info.context.loaders.customer_by_id.prime(parent.pk, parent)
        return await child_connection(
            info.context.loaders.contacts_by_customer, parent.pk, first, after
        )

    @strawberry.field(description="Newest first.")
    @staticmethod
    async def activities(
        parent: strawberry.Parent[CustomerModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ActivityType]:
        return await child_connection(
            info.context.loaders.activities_by_customer, parent.pk, first, after
        )

    @strawberry.field
    @staticmethod
    async def opportunities(
        parent: strawberry.Parent[CustomerModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: OpportunityStatusType | None = None,
    ) -> Connection[OpportunityType]:
        return await child_connection(
            info.context.loaders.opportunities_by_customer,
            parent.pk,
            first,
            after,
            status.value if status is not None else None,
        )

    @strawberry.field(
        description="Every change of the customer's own fields (owner changes and pool returns "
        "included), newest first; its contacts' and deals' changes are in `timeline`."
    )
    @staticmethod
    async def history(
        parent: strawberry.Parent[CustomerModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[FieldChangeType]:
        return await record_history(
            info.context.loaders, ChangedEntity.CUSTOMER, parent.pk, first, after
        )

    @strawberry.field(
        description="What happened with the customer, newest first: its activities, its "
        "deals' stage changes, and the changed fields of it, its contacts and its deals (a "
        "deal's stage is told by its stage changes)."
    )
    @staticmethod
    async def timeline(
        parent: strawberry.Parent[CustomerModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> TimelineConnectionType:
        # A Connection: TimelineConnection only names it after its union.
        timeline: Any = await child_connection(
            info.context.loaders.timeline_by_customer, parent.pk, first, after
        )
        return timeline


@strawberry.type
class Contact(Node):
    name: str
    title: str | None
    is_primary: bool
    notes: str | None
    custom_fields: JSON
    created_at: datetime
    updated_at: datetime
    is_type_of = model_is_type_of(ContactModel)
    load_node = node_by_loader(lambda loaders: loaders.contact_by_id)

    @strawberry.field(description=MASKED_PHONE)
    @staticmethod
    async def phone(parent: strawberry.Parent[ContactModel], info: Info) -> str | None:
        masked = mask_phone(parent.phone, parent.phone_normalized)
        return await _contact_detail(info, parent, parent.phone, masked)

    @strawberry.field(description=MASKED_EMAIL)
    @staticmethod
    async def email(parent: strawberry.Parent[ContactModel], info: Info) -> str | None:
        return await _contact_detail(info, parent, parent.email, mask_email(parent.email))

    @strawberry.field
    @staticmethod
    async def customer(parent: strawberry.Parent[ContactModel], info: Info) -> Customer:
        return await info.context.loaders.customer_by_id.load(parent.customer_id)

    @strawberry.field(description="Newest first.")
    @staticmethod
    async def activities(
        parent: strawberry.Parent[ContactModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ActivityType]:
        return await child_connection(
            info.context.loaders.activities_by_contact, parent.pk, first, after
        )


@strawberry.type
class CustomerPayload:
    customer: Customer | None
    errors: list[UserError] = errors_field()


@strawberry.type
class ContactPayload:
    contact: Contact | None
    errors: list[UserError] = errors_field()
