"""The pipeline report: where the money stands, how deals move, who wins them.

Everything is computed by the database with aggregates and window functions, so
the report costs the same fixed number of statements however many deals there are.
One report covers one currency: amounts of different currencies are never summed.

Money is aggregated in integer cents. PostgreSQL's numeric is exact; SQLite stores
amounts as text, which is read as a double and rounded to whole cents, exact for
amounts below about 2 × 10¹³. A weighted amount is rounded to the cent per deal
(half up, as `domain.opportunities.weighted_amount` does) before it is summed.

Instants are compared, ordered and subtracted as `domain.sql` says: through julianday()
on SQLite (millisecond precision), directly on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from domain.dates import (
    EARLIEST_DATE,
    EARLIEST_INSTANT,
    EARLIEST_YEAR,
    END_OF_RANGE,
    LATEST_DATE,
    LATEST_YEAR,
    check_instant,
)
from domain.errors import DomainError, ErrorCode, Problems, not_found
from domain.local_time import Moment, ViewerClock
from domain.opportunities import CENT, HUNDRED
from domain.pipelines import default_pipeline, live_stages
from domain.sql import Sql
from domain.validation import check_currency, clean_text
from domain.viewer import Viewer
from domain.visibility import customer_condition, customer_filter
from models import Opportunity, Pipeline, Stage, Workspace
from models.enums import OpportunityStatus, StageKind

DEFAULT_PERIOD = timedelta(days=90)
DAY_DIGITS = 2  # averages of days are rounded to hundredths of a day
# The lists of a report are bounded (the query cost counts these): a stage per live stage
# (`MAX_STAGES`), a forecast month per month a close date may fall in, and the owners with
# the most won, then open, money; a workspace may have any number of users.
MAX_FORECAST_MONTHS = 12 * (LATEST_YEAR - EARLIEST_YEAR + 1)
MAX_REPORT_OWNERS = 100


@dataclass(frozen=True)
class StageReportData:
    stage: Stage
    open_count: int
    open_amount: Decimal
    weighted_amount: Decimal
    entered_count: int
    converted_count: int
    conversion_rate: float
    average_days_in_stage: float | None


@dataclass(frozen=True)
class ForecastMonthData:
    month: str
    open_count: int
    amount: Decimal
    weighted_amount: Decimal


@dataclass(frozen=True)
class OwnerReportData:
    owner_id: int | None
    open_count: int
    open_amount: Decimal
    won_count: int
    won_amount: Decimal
    lost_count: int
    lost_amount: Decimal
    win_rate: float | None


@dataclass(frozen=True)
class PipelineReportData:
    pipeline: Pipeline
    currency: str
    currencies: list[str]
    start: datetime
    end: datetime
    stages: list[StageReportData]
    open_count: int
    open_amount: Decimal
    weighted_amount: Decimal
    won_count: int
    won_amount: Decimal
    lost_count: int
    lost_amount: Decimal
    win_rate: float | None
    average_days_to_close: float | None
    forecast: list[ForecastMonthData]
    owners: list[OwnerReportData]


class _Sql(Sql):
    """`Sql` with the report's own fragments that differ between PostgreSQL and SQLite."""

    def within(self, column: str, start: datetime, end: datetime) -> str:
        return f"{self.instant_is(column, '>=', start)} AND {self.instant_is(column, '<=', end)}"

    def plausible_instant(self, column: str) -> str:
        """The instant falls in the years `domain.dates` allows (not ±infinity either)."""
        return (
            f"{self.instant_is(column, '>=', EARLIEST_INSTANT)} "
            f"AND {self.instant_is(column, '<', END_OF_RANGE)}"
        )

    def plausible_date(self, column: str) -> str:
        if self.postgres:
            return f"{column} BETWEEN {self.bind(EARLIEST_DATE)} AND {self.bind(LATEST_DATE)}"
        # Dates are YYYY-MM-DD text on SQLite, which orders as the dates do.
        earliest, latest = EARLIEST_DATE.isoformat(), LATEST_DATE.isoformat()
        return f"{column} BETWEEN {self.bind(earliest)} AND {self.bind(latest)}"

    def days(self, later: str, earlier: str) -> str:
        """Days from `earlier` to `later`; NULL (left out of averages) when either is
        implausible: PostgreSQL refuses to subtract ±infinity outright."""
        if self.postgres:
            span = f"EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0"
        else:
            span = f"({self.instant(later)} - {self.instant(earlier)})"
        plausible = f"{self.plausible_instant(later)} AND {self.plausible_instant(earlier)}"
        return f"CASE WHEN {plausible} THEN {span} END"

    def month(self, column: str) -> str:
        if self.postgres:
            return f"to_char({column}, 'YYYY-MM')"
        return f"strftime('%Y-%m', {column})"

    def cents(self, amount: str) -> str:
        if self.postgres:
            return f"({amount} * 100)"
        return f"CAST(ROUND(CAST({amount} AS REAL) * 100) AS INTEGER)"

    def weighted_cents(self, amount: str, probability: str) -> str:
        """amount × probability / 100, rounded half up to the cent, in cents."""
        if self.postgres:
            return f"ROUND({amount} * {probability})"
        # Amounts are never negative, so integer division after + 50 rounds half up.
        return f"(({self.cents(amount)} * {probability} + 50) / 100)"


def _money(cents: Any) -> Decimal:
    if cents is None:
        return Decimal("0.00")
    value = Decimal(cents) if isinstance(cents, int | Decimal) else Decimal(str(cents))
    return (value / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _days(value: Any) -> float | None:
    return None if value is None else round(float(value), DAY_DIGITS)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def report_period(
    start: datetime | None, end: datetime | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """[start, end], both included: by default the 90 days up to now."""
    problems = Problems()
    start = check_instant(problems, "from", start)
    end = check_instant(problems, "to", end)
    problems.raise_if_any()
    end = end or now or datetime.now(UTC)
    start = start or end - DEFAULT_PERIOD
    if start > end:
        raise DomainError.single(
            "from", "The period must not start after it ends.", ErrorCode.INVALID
        )
    return start, end


async def _pipeline(viewer: Viewer, pipeline_id: int | None) -> Pipeline:
    if pipeline_id is None:
        pipeline = await default_pipeline(viewer.workspace_id)
    else:
        pipeline = await Pipeline.get_or_none(id=pipeline_id, workspace_id=viewer.workspace_id)
    if pipeline is None:
        raise not_found("pipelineId", "Pipeline")
    return pipeline


async def _currency(viewer: Viewer, currency: str | None) -> str:
    if clean_text(currency) is None:
        return (await Workspace.get(id=viewer.workspace_id)).default_currency
    problems = Problems()
    code = check_currency(problems, "currency", currency, "XXX")
    problems.raise_if_any()
    return code


@dataclass(frozen=True)
class _Scope:
    """The deals a report covers: one workspace, one pipeline, one currency, and of those
    the deals the viewer sees (`domain.visibility`: their customers'), as every list shows
    them: a MANAGER's report is their teams', a REP's their own (and those of customers
    shared with them or in their pools), an ADMIN's the workspace's."""

    viewer: Viewer
    pipeline_id: int
    currency: str

    @property
    def workspace_id(self) -> int:
        return self.viewer.workspace_id

    async def seen(self, sql: _Sql, alias: str = "o") -> str:
        """The deal `alias` is one the viewer sees. Awaited where it stands in the text, as
        SQLite's placeholders are bound in the order they appear."""
        condition = await customer_condition(self.viewer, sql, "sc")
        return (
            f"EXISTS (SELECT 1 FROM customer sc WHERE sc.id = {alias}.customer_id AND {condition})"
        )

    async def where(self, sql: _Sql, alias: str = "o") -> str:
        return (
            f"{alias}.workspace_id = {sql.bind(self.workspace_id)} "
            f"AND {alias}.pipeline_id = {sql.bind(self.pipeline_id)} "
            f"AND {alias}.currency = {sql.bind(self.currency)} "
            f"AND {await self.seen(sql, alias)}"
        )


async def _rows(sql: _Sql, statement: str) -> list[dict[str, Any]]:
    return await sql.dicts(statement)


def _new_sql() -> _Sql:
    return _Sql(Opportunity._meta.db)


async def _open_by_stage(scope: _Scope) -> dict[int, dict[str, Any]]:
    """Deals open now, per stage: count, amount and weighted amount (in cents)."""
    sql = _new_sql()
    probability = "COALESCE(o.probability_override, s.probability)"
    statement = (
        f"SELECT o.stage_id AS stage_id, COUNT(*) AS open_count, "
        f"SUM({sql.cents('o.amount')}) AS amount_cents, "
        f"SUM({sql.weighted_cents('o.amount', probability)}) AS weighted_cents "
        f"FROM opportunity o JOIN stage s ON s.id = o.stage_id "
        f"WHERE {await scope.where(sql)} AND o.status = {sql.bind(OpportunityStatus.OPEN.value)} "
        f"GROUP BY o.stage_id"
    )
    return {row["stage_id"]: row for row in await _rows(sql, statement)}


async def _stage_history(
    scope: _Scope, start: datetime, end: datetime
) -> dict[int, dict[str, Any]]:
    """Per stage, over the entries into it within the period: how many deals entered,
    how many of them went on to a later stage that is not a LOST one (or to a WON
    stage), and the mean length of those stays that have ended.

    A stay runs from a stage change to the deal's next one (LEAD over the deal's
    changes in time order, then id); "later" goes by the stages' current positions.
    """
    sql = _new_sql()
    ordered = f"ORDER BY {sql.instant('c.changed_at')}, c.id"
    # Placeholders are written in the order they appear in the text ("?" on SQLite).
    statement = (
        "WITH changes AS ("
        "SELECT c.id, c.opportunity_id, c.to_stage_id, c.changed_at, "
        f"LEAD(c.changed_at) OVER (PARTITION BY c.opportunity_id {ordered}) AS left_at, "
        f"ROW_NUMBER() OVER (PARTITION BY c.opportunity_id {ordered}) AS seq "
        "FROM stage_change c JOIN opportunity o ON o.id = c.opportunity_id "
        f"WHERE c.workspace_id = {sql.bind(scope.workspace_id)} "
        f"AND o.workspace_id = {sql.bind(scope.workspace_id)} "
        f"AND o.currency = {sql.bind(scope.currency)} "
        f"AND {await scope.seen(sql)} "
        # Only the deals that ever entered one of this pipeline's stages.
        "AND c.opportunity_id IN (SELECT x.opportunity_id FROM stage_change x "
        "JOIN stage xs ON xs.id = x.to_stage_id "
        f"WHERE x.workspace_id = {sql.bind(scope.workspace_id)} "
        f"AND xs.pipeline_id = {sql.bind(scope.pipeline_id)})"
        "), entries AS ("
        "SELECT e.opportunity_id, e.to_stage_id, e.changed_at, e.left_at, "
        "CASE WHEN EXISTS (SELECT 1 FROM changes later "
        "JOIN stage ls ON ls.id = later.to_stage_id "
        "WHERE later.opportunity_id = e.opportunity_id AND later.seq > e.seq "
        "AND ls.pipeline_id = s.pipeline_id AND ls.id <> s.id "
        f"AND (ls.kind = {sql.bind(StageKind.WON.value)} "
        f"OR (ls.position > s.position AND ls.kind <> {sql.bind(StageKind.LOST.value)}))"
        ") THEN 1 ELSE 0 END AS converted "
        "FROM changes e JOIN stage s ON s.id = e.to_stage_id "
        f"WHERE s.workspace_id = {sql.bind(scope.workspace_id)} "
        f"AND s.pipeline_id = {sql.bind(scope.pipeline_id)} "
        f"AND {sql.within('e.changed_at', start, end)}"
        ") "
        "SELECT to_stage_id AS stage_id, "
        "COUNT(DISTINCT opportunity_id) AS entered_count, "
        "COUNT(DISTINCT CASE WHEN converted = 1 THEN opportunity_id END) AS converted_count, "
        f"AVG(CASE WHEN left_at IS NOT NULL THEN {sql.days('left_at', 'changed_at')} END) "
        "AS average_days "
        "FROM entries GROUP BY to_stage_id"
    )
    return {row["stage_id"]: row for row in await _rows(sql, statement)}


async def _closed(scope: _Scope, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Deals won and lost within the period: count, amount, mean days from creation."""
    sql = _new_sql()
    statement = (
        f"SELECT o.status AS status, COUNT(*) AS closed_count, "
        f"SUM({sql.cents('o.amount')}) AS amount_cents, "
        f"AVG({sql.days('o.closed_at', 'o.created_at')}) AS average_days "
        f"FROM opportunity o WHERE {await scope.where(sql)} "
        f"AND o.status IN ({sql.bind(OpportunityStatus.WON.value)}, "
        f"{sql.bind(OpportunityStatus.LOST.value)}) "
        f"AND {sql.within('o.closed_at', start, end)} "
        f"GROUP BY o.status"
    )
    return {row["status"]: row for row in await _rows(sql, statement)}


async def _forecast(scope: _Scope) -> list[ForecastMonthData]:
    """Open deals by the month they are expected to close (deals without a plausible date
    left out)."""
    sql = _new_sql()
    probability = "COALESCE(o.probability_override, s.probability)"
    statement = (
        f"SELECT {sql.month('o.expected_close_date')} AS month, COUNT(*) AS open_count, "
        f"SUM({sql.cents('o.amount')}) AS amount_cents, "
        f"SUM({sql.weighted_cents('o.amount', probability)}) AS weighted_cents "
        f"FROM opportunity o JOIN stage s ON s.id = o.stage_id "
        f"WHERE {await scope.where(sql)} AND o.status = {sql.bind(OpportunityStatus.OPEN.value)} "
        # A date outside the years allowed (stored before the rule, or by hand) is no
        # month to plan for; on PostgreSQL it may be 'infinity', which to_char makes NULL.
        f"AND {sql.plausible_date('o.expected_close_date')} "
        f"GROUP BY 1 ORDER BY 1"
    )
    return [
        ForecastMonthData(
            month=row["month"],
            open_count=int(row["open_count"]),
            amount=_money(row["amount_cents"]),
            weighted_amount=_money(row["weighted_cents"]),
        )
        for row in await _rows(sql, statement)
    ]


async def _owners(scope: _Scope, start: datetime, end: datetime) -> list[OwnerReportData]:
    """Per owner (null: unowned), deals open now and deals closed within the period: the
    MAX_REPORT_OWNERS first by won amount, then open amount, the unowned last."""
    sql = _new_sql()
    cents = sql.cents("o.amount")

    def when(status: OpportunityStatus, then: str) -> str:
        return f"SUM(CASE WHEN o.status = {sql.bind(status.value)} THEN {then} ELSE 0 END)"

    statement = (
        f"SELECT o.owner_id AS owner_id, "
        f"{when(OpportunityStatus.OPEN, '1')} AS open_count, "
        f"{when(OpportunityStatus.OPEN, cents)} AS open_cents, "
        f"{when(OpportunityStatus.WON, '1')} AS won_count, "
        f"{when(OpportunityStatus.WON, cents)} AS won_cents, "
        f"{when(OpportunityStatus.LOST, '1')} AS lost_count, "
        f"{when(OpportunityStatus.LOST, cents)} AS lost_cents "
        f"FROM opportunity o WHERE {await scope.where(sql)} "
        f"AND (o.status = {sql.bind(OpportunityStatus.OPEN.value)} "
        f"OR (o.status IN ({sql.bind(OpportunityStatus.WON.value)}, "
        f"{sql.bind(OpportunityStatus.LOST.value)}) "
        f"AND {sql.within('o.closed_at', start, end)})) "
        f"GROUP BY o.owner_id "
        # The order below, in SQL, so that only the rows kept are read.
        f"ORDER BY won_cents DESC, open_cents DESC, o.owner_id IS NULL, o.owner_id "
        f"LIMIT {sql.bind(MAX_REPORT_OWNERS)}"
    )
    owners = []
    for row in await _rows(sql, statement):
        won, lost = int(row["won_count"]), int(row["lost_count"])
        owners.append(
            OwnerReportData(
                owner_id=row["owner_id"],
                open_count=int(row["open_count"]),
                open_amount=_money(row["open_cents"]),
                won_count=won,
                won_amount=_money(row["won_cents"]),
                lost_count=lost,
                lost_amount=_money(row["lost_cents"]),
                win_rate=_rate(won, won + lost),
            )
        )
    # The biggest winners first, then the biggest open books; the unowned last.
    owners.sort(key=lambda o: (-o.won_amount, -o.open_amount, o.owner_id is None, o.owner_id or 0))
    return owners


async def _currencies(scope: _Scope) -> list[str]:
    seen = await customer_filter(scope.viewer, "customer__")
    # Tortoise types a flat values_list as tuples; it gives the column's values.
    return cast(
        list[str],
        await Opportunity.filter(
            seen, workspace_id=scope.workspace_id, pipeline_id=scope.pipeline_id
        )
        .distinct()
        .order_by("currency")
        .values_list("currency", flat=True),
    )


async def pipeline_report(
    viewer: Viewer,
    pipeline_id: int | None,
    start: Moment | None,
    end: Moment | None,
    currency: str | None = None,
) -> PipelineReportData:
    """The report on one pipeline in one currency (default: the workspace's) over
    [start, end] (default: the 90 days up to now). Open counts and amounts are as of
    now; conversion and stays go by stage entries, won and lost by closing time, within
    the period. A fixed number of statements, whatever the number of deals. `start` and
    `end` without an offset are on the viewer's clock (domain.local_time)."""
    clock = ViewerClock(viewer)
    start, end = report_period(await clock.instant(start), await clock.instant(end))
    pipeline = await _pipeline(viewer, pipeline_id)
    scope = _Scope(viewer, pipeline.id, await _currency(viewer, currency))
    stages = await live_stages(pipeline.id)  # the pipeline is the viewer's
    open_rows = await _open_by_stage(scope)
    history = await _stage_history(scope, start, end)
    closed = await _closed(scope, start, end)

    stage_reports = []
    for stage in stages:
        now_open = open_rows.get(stage.id, {})
        entries = history.get(stage.id, {})
        entered = int(entries.get("entered_count") or 0)
        converted = int(entries.get("converted_count") or 0)
        stage_reports.append(
            StageReportData(
                stage=stage,
                open_count=int(now_open.get("open_count") or 0),
                open_amount=_money(now_open.get("amount_cents")),
                weighted_amount=_money(now_open.get("weighted_cents")),
                entered_count=entered,
                converted_count=converted,
                conversion_rate=_rate(converted, entered) or 0.0,
                average_days_in_stage=_days(entries.get("average_days")),
            )
        )
    won = closed.get(OpportunityStatus.WON.value, {})
    lost = closed.get(OpportunityStatus.LOST.value, {})
    won_count = int(won.get("closed_count") or 0)
    lost_count = int(lost.get("closed_count") or 0)
    return PipelineReportData(
        pipeline=pipeline,
        currency=scope.currency,
        currencies=await _currencies(scope),
        start=start,
        end=end,
        stages=stage_reports,
        # Every open deal of the pipeline, including any in a stage no longer live.
        open_count=sum(int(row["open_count"]) for row in open_rows.values()),
        open_amount=_money(sum(Decimal(str(r["amount_cents"])) for r in open_rows.values())),
        weighted_amount=_money(sum(Decimal(str(r["weighted_cents"])) for r in open_rows.values())),
        won_count=won_count,
        won_amount=_money(won.get("amount_cents")),
        lost_count=lost_count,
        lost_amount=_money(lost.get("amount_cents")),
        win_rate=_rate(won_count, won_count + lost_count),
        average_days_to_close=_days(won.get("average_days")),
        forecast=await _forecast(scope),
        owners=await _owners(scope, start, end),
    )
