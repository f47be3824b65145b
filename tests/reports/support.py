"""Building a pipeline's history for the report tests.

Deals are created through the API; their past (when they were created, every stage
they entered, when they closed) is then written with the models at explicit instants,
as moving deals at chosen moments is not something the API offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from models import Opportunity, Stage, StageChange
from models.enums import OpportunityStatus, StageKind
from tests.factories import create_customer, create_opportunity, default_pipeline, mutate_ok, pk
from tests.helpers import Account, GraphQL

# The default B2B pipeline, by the names `domain.pipelines` gives its stages.
QUALIFICATION, NEEDS, QUOTE, CONTRACT, WON, LOST = (
    "Qualification",
    "Needs analysis",
    "Quote",
    "Contract",
    "Won",
    "Lost",
)


def day(start: datetime, days: float) -> datetime:
    return start + timedelta(days=days)


@dataclass
class Book:
    """A workspace's default pipeline and a customer to sell to."""

    gql: GraphQL
    account: Account
    pipeline: dict[str, Any]
    customer_id: str

    @classmethod
    async def open(cls, gql: GraphQL, account: Account) -> Book:
        pipeline = await default_pipeline(gql, account)
        customer = await create_customer(gql, account)
        return cls(gql, account, pipeline, customer["id"])

    def stage(self, name: str) -> str:
        return self.pipeline["by_name"][name]["id"]

    async def deal(
        self,
        amount: str,
        *,
        currency: str = "CNY",
        stage: str | None = None,
        owner: Account | None = None,
        unowned: bool = False,
        expected: str | None = None,
        probability: int | None = None,
        **more: Any,
    ) -> int:
        """A deal created through the API, owned by `owner` (default: its creator)."""
        fields: dict[str, Any] = {"amount": amount, "currency": currency, **more}
        if stage is not None:
            fields["stageId"] = self.stage(stage)
        if owner is not None:
            fields["ownerId"] = owner.user_id
        if expected is not None:
            fields["expectedCloseDate"] = expected
        created = await create_opportunity(self.gql, self.account, self.customer_id, **fields)
        patch: dict[str, Any] = {}
        if unowned:
            patch["ownerId"] = None
        if probability is not None:
            patch["probability"] = probability
        if patch:
            await mutate_ok(
                self.gql, self.account, "updateOpportunity", id=created["id"], input=patch
            )
        return pk(created["id"])


async def history(
    opportunity_id: int, created_at: datetime, moves: Sequence[tuple[str, datetime]] = ()
) -> None:
    """Backdates a deal's creation (and its first stage entry) and replays `moves`:
    (stage name, instant) pairs, each a stage change; the last one decides its stage,
    status and closing time, as moveOpportunity would have."""
    opportunity = await Opportunity.get(id=opportunity_id)
    stages = {
        stage.name: stage for stage in await Stage.filter(pipeline_id=opportunity.pipeline_id)
    }
    await StageChange.filter(opportunity_id=opportunity_id).update(changed_at=created_at)
    current = await Stage.get(id=opportunity.stage_id)
    entered_at = created_at
    closed_at = None
    for name, at in moves:
        target = stages[name]
        await StageChange.create(
            workspace_id=opportunity.workspace_id,
            opportunity_id=opportunity_id,
            from_stage_id=current.id,
            to_stage_id=target.id,
            changed_at=at,
        )
        if target.kind != StageKind.OPEN and current.kind == StageKind.OPEN:
            closed_at = at
        elif target.kind == StageKind.OPEN:
            closed_at = None
        current, entered_at = target, at
    await Opportunity.filter(id=opportunity_id).update(
        created_at=created_at,
        stage_id=current.id,
        status=OpportunityStatus(current.kind.value),
        stage_entered_at=entered_at,
        closed_at=closed_at,
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
