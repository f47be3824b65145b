"""Activity inputs, and their conversion to domain data."""

from __future__ import annotations

import strawberry

from api.activities.types import ActivityKind
from api.core.ids import decode_id, decode_optional_id
from api.core.scalars import ON_VIEWERS_CLOCK
from domain.activities import ActivityData
from domain.local_time import LocalMoment


@strawberry.input
class ActivityInput:
    customer_id: strawberry.ID
    contact_id: strawberry.ID | None = None
    opportunity_id: strawberry.ID | None = None
    kind: ActivityKind
    occurred_at: LocalMoment | None = strawberry.field(
        default=None, description=f"Defaults to now. {ON_VIEWERS_CLOCK}"
    )
    content: str
    next_follow_up_at: LocalMoment | None = strawberry.field(
        default=None,
        description="When set, a reminder for the author is scheduled at that time. "
        + ON_VIEWERS_CLOCK,
    )

    def to_data(self) -> ActivityData:
        return ActivityData(
            customer_id=decode_id(self.customer_id, "Customer", "input.customerId"),
            contact_id=decode_optional_id(self.contact_id, "Contact", "input.contactId"),
            opportunity_id=decode_optional_id(
                self.opportunity_id, "Opportunity", "input.opportunityId"
            ),
            kind=self.kind,
            occurred_at=self.occurred_at,
            content=self.content,
            next_follow_up_at=self.next_follow_up_at,
        )
