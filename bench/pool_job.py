"""Benchmark: the pool's nightly job over 100,000 customers, beside one hand-written SQL
`UPDATE … WHERE` doing the same returns.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python -m bench.pool_job [--customers 100000] [--idle 0.2] [--rounds 5]

A database of its own is made (and dropped): a workspace of 20 reps holding the customers
(written with COPY), its default pool returning customers idle for 30 days after a 3-day
warning, and a share of the customers (`--idle`) idle for 60 days and warned 5 days ago.
Each round runs, on the same state, `domain.pool_rules.run_pool_rules` for the day (batches
of 1,000: the rule's statements, the reminders cancelled, the history rows written) and
the baseline, one UPDATE returning the same customers and nothing else; the state is put
back between runs, and the two alternate so neither gets the warmer cache. Printed: each
one's median and spread over the rounds, the ratio of the medians, and the statements per
batch of the job (constant whatever the batch's size).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from urllib.parse import urlparse, urlunparse

DAY = date(2031, 3, 10)
NOW = datetime.combine(DAY, clock(1), tzinfo=UTC)
REPS = 20


def _dsn(url: str) -> str:
    return urlunparse(urlparse(url)._replace(scheme="postgresql"))


async def _open(url: str) -> None:
    from tortoise import Tortoise

    from crm.db import tortoise_config
    from crm.settings import get_settings

    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench", LOG_LEVEL="WARNING")
    get_settings.cache_clear()
    await Tortoise.init(config=tortoise_config(url))


async def _populate(raw, workspace_id: int, reps: list[int], customers: int, idle: float) -> int:
    """The customers, by COPY: every `1/idle`-th idle and warned; returns how many are."""
    long_ago = NOW - timedelta(days=200)
    every = max(1, round(1 / idle)) if idle else customers + 1
    idle_at, active_at = NOW - timedelta(days=60), NOW - timedelta(days=2)
    warned_at = NOW - timedelta(days=5)
    rows = []
    for i in range(customers):
        is_idle = i % every == 0
        rows.append(
            (
                workspace_id,
                f"客户{i:06d}",
                "COMPANY",
                "[]",
                "",
                "{}",
                "[]",
                reps[i % len(reps)],
                long_ago,
                idle_at if is_idle else active_at,
                warned_at if is_idle else None,
                long_ago,
                long_ago,
            )
        )
    await raw.copy_records_to_table(
        "customer",
        records=rows,
        columns=[
            "workspace_id",
            "name",
            "kind",
            "tags",
            "tags_index",
            "custom_fields",
            "score_breakdown",
            "owner_id",
            "owned_since",
            "last_activity_at",
            "pool_warned_at",
            "created_at",
            "updated_at",
        ],
    )
    await raw.execute("ANALYZE customer")
    return sum(1 for i in range(customers) if i % every == 0)


async def _reset(raw, workspace_id: int) -> None:
    """Puts the returned customers back with their owners and warnings, the run forgotten."""
    await raw.execute(
        "UPDATE customer SET owner_id = previous_owner_id, previous_owner_id = NULL, "
        "pooled_at = NULL, pool_id = NULL, owned_since = $2, pool_warned_at = $3 "
        "WHERE workspace_id = $1 AND owner_id IS NULL",
        workspace_id,
        NOW - timedelta(days=200),
        NOW - timedelta(days=5),
    )
    await raw.execute("DELETE FROM field_change WHERE workspace_id = $1", workspace_id)
    await raw.execute("DELETE FROM pool_run WHERE workspace_id = $1", workspace_id)
    await raw.execute("VACUUM ANALYZE customer")


async def _baseline(raw, workspace_id: int, reps: list[int]) -> tuple[float, int]:
    """One UPDATE returning the same customers: idle 30 days, warned 3 days before."""
    started = time.perf_counter()
    status = await raw.execute(
        "UPDATE customer SET previous_owner_id = owner_id, owner_id = NULL, pooled_at = $2, "
        "owned_since = NULL, locked_at = NULL, pool_warned_at = NULL, "
        "next_follow_up_at = NULL, updated_at = $2 "
        "WHERE workspace_id = $1 AND owner_id = ANY($3::BIGINT[]) AND locked_at IS NULL "
        "AND pool_warned_at < $4 AND COALESCE(owned_since, created_at) < $5 "
        "AND (last_activity_at IS NULL OR last_activity_at < $5)",
        workspace_id,
        NOW,
        reps,
        datetime.combine(DAY - timedelta(days=2), clock(0), tzinfo=UTC),
        datetime.combine(DAY, clock(0), tzinfo=UTC) - timedelta(days=30),
    )
    return time.perf_counter() - started, int(status.split()[-1])


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def _job(workspace_id: int, count_statements: bool = False) -> tuple[float, int, int]:
    from domain.pool_rules import run_pool_rules

    logger = logging.getLogger("tortoise.db_client")
    counter = _Counter()
    if count_statements:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(counter)
    try:
        started = time.perf_counter()
        (run,) = await run_pool_rules(workspace_id, NOW)
        seconds = time.perf_counter() - started
    finally:
        logger.removeHandler(counter)
        logger.setLevel(logging.WARNING)
    return seconds, run.returned, counter.count


async def _measure(base: str, customers: int, idle: float, rounds: int) -> None:
    import asyncpg
    from tortoise import Tortoise

    from crm.migrations import apply_migrations
    from domain.pool_rules import BATCH
    from models import CustomerPool, User, Workspace
    from models.enums import Role

    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    url = urlunparse(urlparse(base)._replace(path=f"/{name}"))
    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench", LOG_LEVEL="WARNING")
    await apply_migrations(url, create_db=True)
    await _open(url)
    raw = await asyncpg.connect(_dsn(url))
    try:
        workspace = await Workspace.create(name="Bench", timezone="UTC")
        reps = [
            (
                await User.create(
                    workspace=workspace,
                    name=f"rep {i}",
                    email=f"rep{i}@example.com",
                    password_hash="-",
                    role=Role.REP,
                )
            ).id
            for i in range(REPS)
        ]
        await CustomerPool.create(
            workspace=workspace,
            name="公海",
            is_default=True,
            no_activity_days=30,
            warn_days_before=3,
        )
        expected = await _populate(raw, workspace.id, reps, customers, idle)
        jobs, baselines = [], []
        statements = 0
        for round_ in range(rounds):
            seconds, returned, counted = await _job(workspace.id, count_statements=round_ == 0)
            assert returned == expected, (returned, expected)
            statements = counted or statements
            jobs.append(seconds)
            await _reset(raw, workspace.id)
            seconds, returned = await _baseline(raw, workspace.id, reps)
            assert returned == expected, (returned, expected)
            baselines.append(seconds)
            await _reset(raw, workspace.id)
        _report(customers, expected, jobs, baselines, statements, -(-customers // BATCH))
    finally:
        await raw.close()
        await Tortoise.close_connections()
        admin = await asyncpg.connect(_dsn(urlunparse(urlparse(url)._replace(path="/postgres"))))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.3f}s (min {min(values):.3f}, max {max(values):.3f})"


def _report(
    customers: int,
    returned: int,
    jobs: list[float],
    baselines: list[float],
    statements: int,
    batches: int,
) -> None:
    print(f"{customers:,} owned customers, {returned:,} idle and warned: returned to the pool.")
    print(f"rounds: {len(jobs)}, job and baseline alternating on the same state\n")
    print(f"nightly job (run_pool_rules): {_spread(jobs)}")
    print(f"one SQL UPDATE … WHERE:       {_spread(baselines)}")
    ratio = statistics.median(jobs) / statistics.median(baselines)
    print(f"job / UPDATE (medians):       {ratio:.2f}×")
    print(f"\njob statements: {statements} for {batches} batches of customers")
    print("(the job also cancels the returned customers' reminders and writes a history row each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--idle", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        raise SystemExit("BENCH_DATABASE_URL must name a PostgreSQL server (the baseline is SQL).")
    asyncio.run(_measure(base, args.customers, args.idle, args.rounds))


if __name__ == "__main__":
    main()
