"""The pipeline report: resolved straight from the domain's report dataclasses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from api.accounts.types import User
from api.context import Info
from api.core.errors import ClientError
from api.core.ids import decode_id
from api.core.list_bounds import at_most
from api.core.scalars import ON_VIEWERS_CLOCK
from api.sales.types import Pipeline, Stage
from domain import reports
from domain.errors import DomainError
from domain.local_time import LocalMoment
from domain.pipelines import MAX_STAGES


@strawberry.type(description="One stage of a pipeline report.")
class StageReport:
    stage: Stage
    open_count: int = strawberry.field(description="Deals open in the stage now.")
    open_amount: Decimal
    weighted_amount: Decimal = strawberry.field(
        description="Sum over the open deals of amount × probability / 100, each rounded "
        "to the cent."
    )
    entered_count: int = strawberry.field(
        description="Deals that entered the stage within the period."
    )
    converted_count: int = strawberry.field(
        description="Of those, the deals that afterwards entered a later stage that is not "
        "a LOST one, or a WON stage."
    )
    conversion_rate: float = strawberry.field(
        description="Share, 0 to 1, of the opportunities that reached this stage and went on "
        "to a later one or to won."
    )
    average_days_in_stage: float | None = strawberry.field(
        description="Mean length in days of the stays in the stage that began within the "
        "period and have ended; null when there are none."
    )


@strawberry.type(description="Open deals expected to close in one month.")
class ForecastMonth:
    month: str = strawberry.field(description='"YYYY-MM" of the expected close date.')
    open_count: int
    amount: Decimal
    weighted_amount: Decimal


@strawberry.type(description="One owner's deals in a pipeline report.")
class OwnerReport:
    owner_id: strawberry.Private[int | None]
    open_count: int = strawberry.field(description="Deals open now.")
    open_amount: Decimal
    won_count: int = strawberry.field(description="Deals won within the period.")
    won_amount: Decimal
    lost_count: int = strawberry.field(description="Deals lost within the period.")
    lost_amount: Decimal
    win_rate: float | None = strawberry.field(
        description="won / (won + lost), 0 to 1; null when nothing closed in the period."
    )

    @strawberry.field(description="Null for the deals nobody owns.")
    async def owner(self, info: Info) -> User | None:
        if self.owner_id is None:
            return None
        return await info.context.loaders.user_by_id.load(self.owner_id)


def _start(root: strawberry.Parent[reports.PipelineReportData]) -> datetime:
    return root.start


def _end(root: strawberry.Parent[reports.PipelineReportData]) -> datetime:
    return root.end


@strawberry.type(
    description="A pipeline's deals in one currency: open now, and moved or closed within "
    "the period [from, to]."
)
class PipelineReport:
    pipeline: Pipeline
    currency: str = strawberry.field(description="Every count and amount is of deals in it.")
    currencies: list[str] = strawberry.field(
        description="Every currency of the pipeline's deals: ask for a report in each."
    )
    start: strawberry.Private[datetime]
    end: strawberry.Private[datetime]
    from_: datetime = strawberry.field(
        name="from", description="Start of the period, included.", resolver=_start
    )
    to: datetime = strawberry.field(description="End of the period, included.", resolver=_end)
    stages: list[StageReport] = strawberry.field(
        description="Live stages, in position order.", metadata=at_most(MAX_STAGES)
    )
    open_count: int
    open_amount: Decimal
    weighted_amount: Decimal
    won_count: int
    lost_count: int
    won_amount: Decimal
    lost_amount: Decimal
    win_rate: float | None = strawberry.field(
        description="won / (won + lost), 0 to 1; null when nothing closed in the period."
    )
    average_days_to_close: float | None = strawberry.field(
        description="Mean days from creation to closing of the deals won in the period."
    )
    forecast: list[ForecastMonth] = strawberry.field(
        description="Open deals by expected close month, oldest month first; deals without "
        "a date are left out.",
        metadata=at_most(reports.MAX_FORECAST_MONTHS),
    )
    owners: list[OwnerReport] = strawberry.field(
        description=f"The {reports.MAX_REPORT_OWNERS} first: largest won amount first, then "
        "largest open amount; unowned deals last.",
        metadata=at_most(reports.MAX_REPORT_OWNERS),
    )


@strawberry.type
class ReportQueries:
    @strawberry.field(
        description="Defaults: the default pipeline; the last 90 days.",
        graphql_type=PipelineReport,
    )
    async def pipeline_report(
        self,
        info: Info,
        pipeline_id: strawberry.ID | None = None,
        from_: Annotated[
            LocalMoment | None, strawberry.argument(name="from", description=ON_VIEWERS_CLOCK)
        ] = None,
        to: Annotated[LocalMoment | None, strawberry.argument(description=ON_VIEWERS_CLOCK)] = None,
        currency: Annotated[
            str | None,
            strawberry.argument(description="Defaults to the workspace's default currency."),
        ] = None,
    ) -> reports.PipelineReportData:
        viewer = info.context.require_viewer()
        try:
            pk = None if pipeline_id is None else decode_id(pipeline_id, "Pipeline", "pipelineId")
            report = await reports.pipeline_report(viewer, pk, from_, to, currency)
        except DomainError as error:
            problem = error.problems[0]
            raise ClientError(problem.message, problem.code.value, field=problem.field) from None
        return report
