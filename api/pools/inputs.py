"""What `createPool` and `updatePool` take."""

from __future__ import annotations

from typing import Any

import strawberry

from api.core.ids import decode_optional_id
from api.core.inputs import changes_of
from api.customers.filters import CustomerFilter
from api.customers.types import CustomerKind
from domain.pools import PoolData


@strawberry.input(description="A pool and its rules; a rule or limit left null is off.")
class CustomerPoolInput:
    name: str
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="The team whose pool it is (one a team); null: everyone's."
    )
    no_activity_days: int | None = None
    no_open_deal_days: int | None = None
    no_won_deal_days: int | None = None
    kinds: list[CustomerKind] | None = None
    score_min: float | None = None
    score_max: float | None = None
    exempt_deal_probability: int | None = None
    warn_days_before: int = 3
    max_locks_per_rep: int = 5
    max_customers_per_rep: int | None = None
    max_claims_per_day: int | None = None
    claim_cooldown_days: int = 7
    mask_contacts: bool = True

    def to_data(self) -> PoolData:
        values = dict(vars(self))
        values["team_id"] = decode_optional_id(self.team_id, "Team", "input.teamId")
        values["kinds"] = tuple(kind.value for kind in self.kinds or ())
        return PoolData(**values)


@strawberry.input(description="The fields of a pool to change; null turns a rule off.")
class CustomerPoolPatch:
    name: str | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET
    no_activity_days: int | None = strawberry.UNSET
    no_open_deal_days: int | None = strawberry.UNSET
    no_won_deal_days: int | None = strawberry.UNSET
    kinds: list[CustomerKind] | None = strawberry.UNSET
    score_min: float | None = strawberry.UNSET
    score_max: float | None = strawberry.UNSET
    exempt_deal_probability: int | None = strawberry.UNSET
    warn_days_before: int | None = strawberry.UNSET
    max_locks_per_rep: int | None = strawberry.UNSET
    max_customers_per_rep: int | None = strawberry.UNSET
    max_claims_per_day: int | None = strawberry.UNSET
    claim_cooldown_days: int | None = strawberry.UNSET
    mask_contacts: bool | None = strawberry.UNSET

    def to_changes(self) -> dict[str, Any]:
        changes = changes_of(self, ids={"team_id": ("Team", "input.teamId")})
        if "kinds" in changes:
            changes["kinds"] = [kind.value for kind in changes["kinds"] or ()]
        return changes


@strawberry.input(
    description="Customers to give to another owner: `ids`, or those the `filter` of the "
    "`customers` query matches."
)
class TransferCustomersInput:
    ids: list[strawberry.ID] | None = None
    filter: CustomerFilter | None = None
    to_user_id: strawberry.ID
    with_open_deals: bool = strawberry.field(
        default=True, description="Their open deals go with them."
    )
    with_pending_reminders: bool = strawberry.field(
        default=True, description="Their pending reminders go to the new owner."
    )
