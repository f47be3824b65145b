"""The nightly pool rules: warn owners of the customers about to return to the pool (公海),
then return them, once per workspace per day of the workspace's clock.

A day's run is one transaction that begins by inserting its `PoolRun (workspace, day)`:
the unique pair makes a second run of the day (a job run twice, two workers) fail there and
do nothing, and a run that fails leaves no row, so the next one does that day again. Days
missed since the last run (at most MAX_CATCH_UP_DAYS) are run in order, each as of its
own start.

An owned customer is governed by its owner's pool (`domain.pools.nearest_pool`). As of a
day's start `at`, a customer the pool's filters take (kinds, score band; not locked, no
open deal at `exempt_deal_probability` or above) meets a rule that is on when it has had
- no activity for N days: neither an activity nor a new owner since `at` − N days;
- no open deal for M days: none open now, none closed since `at` − M, owned before then;
- no won deal within K days: none won since `at` − K, owned before then.
Its owner is warned (a POOL_WARNING reminder, due that morning) once it will meet one in
`warn_days_before` (D) days, and it returns when it meets one and the warning is at least
D days old by the day's date, so the owner always has D days (a catch-up after a missed
night warns now, and returns D days later). A warning whose customer no longer would
return (an activity since, a lock, a new deal) is withdrawn.

Set-based: a governed owner's customers go by in batches of ids, each batch a constant
number of statements (bounds, withdrawals and their warnings cancelled, returns, their
reminders cancelled, history, warnings, their reminders) whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.bulk_sql import insert_rows
from domain.history import record_changes
from domain.local_time import local_midnight
from domain.pools import (
    VIA_POOL,
    cancel_pending_reminders,
    default_pool,
    nearest_pool,
    owner_change,
    pool_column,
    team_pools,
)
from domain.sql import Sql
from domain.viewer import Viewer
from models import Customer, CustomerPool, PoolRun, Reminder, User, Workspace
from models.enums import OpportunityStatus, ReminderKind, ReminderStatus, Role

BATCH = 1000
MAX_CATCH_UP_DAYS = 7
# A warning is due this morning, on the workspace's clock (or at once when later).
MORNING = time(9)
RULE_FIELDS = ("no_activity_days", "no_open_deal_days", "no_won_deal_days")


@dataclass(frozen=True)
class DayRun:
    day: date
    warned: int
    returned: int


class _AlreadyRun(Exception):
    pass


async def run_pool_rules(
    workspace_id: int, now: datetime | None = None, batch: int = BATCH
) -> list[DayRun]:
    """Runs the days of the workspace not run yet, up to today on its clock at `now`."""
    now = now or datetime.now(UTC)
    workspace = await Workspace.get(id=workspace_id)
    zone = ZoneInfo(workspace.timezone)
    today = now.astimezone(zone).date()
    last = await PoolRun.filter(workspace_id=workspace_id).order_by("-day").first()
    first = today if last is None else max(last.day, today - timedelta(MAX_CATCH_UP_DAYS))
    if last is not None:
        first += timedelta(days=1)
    runs = []
    day = first
    while day <= today:
        run = await _run_day(workspace_id, zone, day, now, batch)
        if run is not None:  # None: another run made this day
            runs.append(run)
        day += timedelta(days=1)
    return runs


async def _run_day(
    workspace_id: int, zone: ZoneInfo, day: date, now: datetime, batch: int
) -> DayRun | None:
    try:
        async with in_transaction():
            try:
                run = await PoolRun.create(workspace_id=workspace_id, day=day)
            except IntegrityError:
                raise _AlreadyRun from None
            day_run = _Day(workspace_id, zone, day, now)
            for pool, owners in (await _governed(workspace_id)).values():
                if any(getattr(pool, name) is not None for name in RULE_FIELDS):
                    await day_run.pool(pool, owners, batch)
            run.warned, run.returned, run.finished_at = day_run.warned, day_run.returned, now
            await run.save(update_fields=["warned", "returned", "finished_at"])
    except (_AlreadyRun, IntegrityError):
        # PostgreSQL ends the transaction at the failed insert: its exit may report it again.
        return None
    return DayRun(day, day_run.warned, day_run.returned)


async def _governed(workspace_id: int) -> dict[int, tuple[CustomerPool, list[int]]]:
    """Each pool with rules, and the owners whose customers it governs."""
    pools = await team_pools(workspace_id)
    default = await default_pool(workspace_id)
    governed: dict[int, tuple[CustomerPool, list[int]]] = {}
    users = await User.filter(workspace_id=workspace_id).values_list("id", "team__path")
    for user_id, path in users:
        pool = nearest_pool(path, pools) or default
        governed.setdefault(pool.id, (pool, []))[1].append(user_id)
    return governed


class _Day:
    """One day's run of a workspace: its instants and counts."""

    def __init__(self, workspace_id: int, zone: ZoneInfo, day: date, now: datetime) -> None:
        self.workspace_id = workspace_id
        self.zone = zone
        self.day = day
        self.at = local_midnight(day, zone)
        self.now = now
        morning = datetime.combine(now.astimezone(zone).date(), MORNING, tzinfo=zone)
        self.due = max(now, morning.astimezone(UTC))
        self.viewer = Viewer(workspace_id=workspace_id, role=Role.ADMIN)
        self.warned = 0
        self.returned = 0

    async def pool(self, pool: CustomerPool, owners: list[int], batch: int) -> None:
        low = 0
        while True:
            high = await self._bound(owners, low, batch)
            await self._batch(pool, owners, low, high)
            if high is None:
                return
            low = high

    async def _bound(self, owners: list[int], low: int, batch: int) -> int | None:
        """The last id of the batch of owned customers after `low` (None: the last batch)."""
        sql = Sql(Customer._meta.db)
        rows = await sql.rows(
            f"SELECT id FROM customer WHERE workspace_id = {sql.bind(self.workspace_id)} "
            f"AND {sql.among('owner_id', owners)} AND id > {sql.bind(low)} "
            f"ORDER BY id LIMIT 1 OFFSET {sql.bind(batch - 1)}"
        )
        return rows[0][0] if rows else None

    async def _batch(
        self, pool: CustomerPool, owners: list[int], low: int, high: int | None
    ) -> None:
        warn_days = timedelta(days=pool.warn_days_before)
        stored = _stored(self.now)
        # Withdrawn: warnings of customers that would no longer return by then.
        sql = Sql(Customer._meta.db)
        batch = _in_batch(sql, self.workspace_id, owners, low, high)
        withdrawn = await sql.dicts(
            f"UPDATE customer SET pool_warned_at = NULL WHERE id IN (SELECT c.id FROM customer c "
            f"WHERE {batch} AND c.pool_warned_at IS NOT NULL AND NOT ("
            f"{_taken(sql, pool)} AND {_meets(sql, pool, self.at + warn_days)})) RETURNING id"
        )
        if withdrawn:
            # A warning not yet delivered would announce a return that no longer comes.
            await Reminder.filter(
                customer_id__in=[row["id"] for row in withdrawn],
                workspace_id=self.workspace_id,
                kind=ReminderKind.POOL_WARNING,
                status=ReminderStatus.PENDING,
            ).update(status=ReminderStatus.CANCELLED, updated_at=self.now)
        # Returned: warned at least D days before this day (by the day's date).
        cutoff = local_midnight(self.day - warn_days + timedelta(days=1), self.zone)
        # (Bound in the order written: SQLite's placeholders are positional.)
        sql = Sql(Customer._meta.db)
        assignments = (
            "previous_owner_id = owner_id, owner_id = NULL, "
            f"pooled_at = {sql.bind(stored)}, pool_id = {sql.bind(pool_column(pool))}, "
            "owned_since = NULL, locked_at = NULL, pool_warned_at = NULL, "
            f"next_follow_up_at = NULL, updated_at = {sql.bind(stored)}"
        )
        batch = _in_batch(sql, self.workspace_id, owners, low, high)
        # dicts: Tortoise's PostgreSQL client reads no rows back from an UPDATE's `rows`.
        returned = await sql.dicts(
            f"UPDATE customer SET {assignments} "
            f"WHERE id IN (SELECT c.id FROM customer c WHERE {batch} "
            f"AND c.pool_warned_at IS NOT NULL "
            f"AND {sql.instant_is('c.pool_warned_at', '<', cutoff)} "
            f"AND {_taken(sql, pool)} AND {_meets(sql, pool, self.at)}) "
            "RETURNING id, previous_owner_id"
        )
        if returned:
            ids = [row["id"] for row in returned]
            await cancel_pending_reminders(self.workspace_id, ids, self.now)
            changes = [owner_change(r["id"], r["previous_owner_id"], None) for r in returned]
            await record_changes(self.viewer, VIA_POOL, changes, at=self.now)
            self.returned += len(returned)
        # Warned: those that will return in D days, told once.
        sql = Sql(Customer._meta.db)
        assignments = f"pool_warned_at = {sql.bind(stored)}"
        batch = _in_batch(sql, self.workspace_id, owners, low, high)
        warned = await sql.dicts(
            f"UPDATE customer SET {assignments} "
            f"WHERE id IN (SELECT c.id FROM customer c WHERE {batch} "
            f"AND c.pool_warned_at IS NULL "
            f"AND {_taken(sql, pool)} AND {_meets(sql, pool, self.at + warn_days)}) "
            "RETURNING id, owner_id, name"
        )
        if warned:
            returns_on = (self.day + warn_days).isoformat()
            await insert_rows(
                Reminder._meta.db,
                Reminder,
                [
                    {
                        "workspace_id": self.workspace_id,
                        "user_id": row["owner_id"],
                        "customer_id": row["id"],
                        "kind": ReminderKind.POOL_WARNING,
                        "due_at": self.due,
                        "note": f"{row['name']} returns to the pool (公海) on {returns_on} "
                        "unless you follow it up before.",
                    }
                    for row in warned
                ],
                self.now,
            )
            self.warned += len(warned)


def _stored(instant: datetime) -> Any:
    """An instant as the ORM stores it, so later reads of the row agree."""
    return Customer._meta.fields_map["updated_at"].to_db_value(instant.astimezone(UTC), Customer)


def _in_batch(sql: Sql, workspace_id: int, owners: list[int], low: int, high: int | None) -> str:
    condition = (
        f"c.workspace_id = {sql.bind(workspace_id)} AND {sql.among('c.owner_id', owners)} "
        f"AND c.id > {sql.bind(low)}"
    )
    return condition if high is None else f"{condition} AND c.id <= {sql.bind(high)}"


def _taken(sql: Sql, pool: CustomerPool) -> str:
    """The customers the pool's rules apply to: its kinds and score band, not locked, no
    late open deal."""
    conditions = ["c.locked_at IS NULL"]
    if pool.kinds:
        conditions.append(sql.among("c.kind", pool.kinds, "TEXT"))
    if pool.score_min is not None:
        conditions.append(f"c.score >= {sql.bind(pool.score_min)}")
    if pool.score_max is not None:
        conditions.append(f"c.score <= {sql.bind(pool.score_max)}")
    if pool.exempt_deal_probability is not None:
        conditions.append(
            "NOT EXISTS (SELECT 1 FROM opportunity o JOIN stage s ON s.id = o.stage_id "
            f"WHERE o.customer_id = c.id AND o.status = {sql.bind(OpportunityStatus.OPEN.value)} "
            "AND COALESCE(o.probability_override, s.probability) >= "
            f"{sql.bind(pool.exempt_deal_probability)})"
        )
    return " AND ".join(conditions)


def _meets(sql: Sql, pool: CustomerPool, at: datetime) -> str:
    """SQL true when a rule of the pool that is on holds for customer `c` as of `at`."""
    owned = "COALESCE(c.owned_since, c.created_at)"
    rules = []
    if pool.no_activity_days is not None:
        since = at - timedelta(days=pool.no_activity_days)
        rules.append(
            f"({sql.instant_is(owned, '<', since)} AND (c.last_activity_at IS NULL "
            f"OR {sql.instant_is('c.last_activity_at', '<', since)}))"
        )
    if pool.no_open_deal_days is not None:
        since = at - timedelta(days=pool.no_open_deal_days)
        rules.append(
            f"({sql.instant_is(owned, '<', since)} AND NOT EXISTS (SELECT 1 FROM opportunity o "
            f"WHERE o.customer_id = c.id AND (o.status = {sql.bind(OpportunityStatus.OPEN.value)} "
            f"OR (o.closed_at IS NOT NULL AND {sql.instant_is('o.closed_at', '>=', since)}))))"
        )
    if pool.no_won_deal_days is not None:
        since = at - timedelta(days=pool.no_won_deal_days)
        rules.append(
            f"({sql.instant_is(owned, '<', since)} AND NOT EXISTS (SELECT 1 FROM opportunity o "
            f"WHERE o.customer_id = c.id AND o.status = {sql.bind(OpportunityStatus.WON.value)} "
            f"AND {sql.instant_is('o.closed_at', '>=', since)}))"
        )
    return f"({' OR '.join(rules)})"


async def workspaces_due() -> list[int]:
    """Every workspace (the job asks each for its days; a run already made costs a read)."""
    return cast(list[int], await Workspace.all().order_by("id").values_list("id", flat=True))
