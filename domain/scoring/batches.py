"""Scoring many customers at once: a fixed number of statements per batch, whatever its size.

A batch of customers is read with one statement (its rows, or the next page of a workspace
by id), its facts with one aggregate per table grouped by customer (recent activities,
contacts, open deals, recent wins), and its scores are written with one UPDATE. A whole
workspace goes by in pages of BATCH_SIZE ids (keyset: `id > the last one`), so memory
stays flat however many customers it has. Every batch is scored against the same `now`,
which the caller gives: rerunning with the same `now` writes the same values.

A score change does not touch `updated_at`. Scores move every night for nearly every
customer (recency decays as days pass); stamping them as changes would make every record
"changed at 03:00", so a client syncing with `updatedSince` would download the whole
workspace each day and "recently updated" would mean nothing. `updatedAt` stays what
people and integrations changed; `scoredAt` says when the score was computed, and the
score is read fresh (or filtered and ordered by: `minScore`, `SCORE`) from the server.

Facts and the write are not one transaction: a customer changed between them keeps a
score computed a moment earlier, until its next scoring.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from domain.exact_updates import set_columns
from domain.scoring.rules import FREQUENCY_WINDOW, WIN_WINDOW, CustomerFacts, score
from domain.sql import Sql
from models import Customer, Workspace
from models.enums import OpportunityStatus

BATCH_SIZE = 500
# What a customer's own row tells the rules.
_CUSTOMER_COLUMNS = ("id", "last_activity_at", "phone", "email", "owner_id")


async def _grouped(sql: Sql, statement: str) -> dict[int, Any]:
    """customer id → the rest of its row (one value, or a tuple of several)."""
    rows = await sql.rows(statement)
    return {row[0]: row[1] if len(row) == 2 else tuple(row[1:]) for row in rows}


def _within(sql: Sql, column: str, start: datetime, end: datetime) -> str:
    """`column` in (start, end]."""
    return f"{sql.instant_is(column, '>', start)} AND {sql.instant_is(column, '<=', end)}"


async def _recent_activities(db: Any, workspace_id: int, ids: list[int], now: datetime) -> dict:
    sql = Sql(db)
    statement = (
        "SELECT a.customer_id, COUNT(*) FROM activity a "
        f"WHERE a.workspace_id = {sql.bind(workspace_id)} AND {sql.among('a.customer_id', ids)} "
        f"AND {_within(sql, 'a.occurred_at', now - FREQUENCY_WINDOW, now)} "
        "GROUP BY a.customer_id"
    )
    return await _grouped(sql, statement)


async def _contacts(db: Any, workspace_id: int, ids: list[int]) -> dict:
    sql = Sql(db)
    statement = (
        "SELECT k.customer_id, COUNT(*) FROM contact k "
        f"WHERE k.workspace_id = {sql.bind(workspace_id)} AND {sql.among('k.customer_id', ids)} "
        "GROUP BY k.customer_id"
    )
    return await _grouped(sql, statement)


async def _open_deals(db: Any, workspace_id: int, ids: list[int]) -> dict:
    """customer id → (open deals, the likeliest one's stage name, its probability)."""
    sql = Sql(db)
    probability = "COALESCE(o.probability_override, s.probability)"
    statement = (
        "SELECT customer_id, open_count, stage_name, probability FROM ("
        "SELECT o.customer_id AS customer_id, "
        "COUNT(*) OVER (PARTITION BY o.customer_id) AS open_count, "
        f"s.name AS stage_name, {probability} AS probability, "
        "ROW_NUMBER() OVER (PARTITION BY o.customer_id "
        f"ORDER BY {probability} DESC, s.position DESC, o.id) AS place "
        "FROM opportunity o JOIN stage s ON s.id = o.stage_id "
        f"WHERE o.workspace_id = {sql.bind(workspace_id)} "
        f"AND {sql.among('o.customer_id', ids)} "
        f"AND o.status = {sql.bind(OpportunityStatus.OPEN.value)}"
        ") ranked WHERE place = 1"
    )
    return await _grouped(sql, statement)


async def _recent_wins(db: Any, workspace_id: int, ids: list[int], now: datetime) -> dict:
    sql = Sql(db)
    statement = (
        "SELECT o.customer_id, COUNT(*) FROM opportunity o "
        f"WHERE o.workspace_id = {sql.bind(workspace_id)} AND {sql.among('o.customer_id', ids)} "
        f"AND o.status = {sql.bind(OpportunityStatus.WON.value)} "
        f"AND {_within(sql, 'o.closed_at', now - WIN_WINDOW, now)} "
        "GROUP BY o.customer_id"
    )
    return await _grouped(sql, statement)


def _filled(text: str | None) -> bool:
    return bool(text and text.strip())


async def _score_rows(workspace_id: int, customers: list[dict[str, Any]], now: datetime) -> int:
    """Scores the customers (rows of _CUSTOMER_COLUMNS) as of `now`: four reads, one write."""
    if not customers:
        return 0
    db = Customer._meta.db
    ids = [row["id"] for row in customers]
    activities = await _recent_activities(db, workspace_id, ids, now)
    contacts = await _contacts(db, workspace_id, ids)
    open_deals = await _open_deals(db, workspace_id, ids)
    wins = await _recent_wins(db, workspace_id, ids, now)
    scores: dict[int, dict[str, Any]] = {}
    for row in customers:
        pk = row["id"]
        open_count, stage, probability = open_deals.get(pk, (0, None, 0))
        result = score(
            CustomerFacts(
                last_activity_at=row["last_activity_at"],
                recent_activities=int(activities.get(pk, 0)),
                open_deals=int(open_count),
                best_stage=stage,
                best_probability=int(probability or 0),
                recent_wins=int(wins.get(pk, 0)),
                has_phone=_filled(row["phone"]),
                has_email=_filled(row["email"]),
                contacts=int(contacts.get(pk, 0)),
                has_owner=row["owner_id"] is not None,
            ),
            now,
        )
        scores[pk] = {
            "score": result.value,
            "score_breakdown": result.breakdown(),
            "scored_at": now,
        }
    # Exactly these three columns: `updated_at` is left alone (see the module's docstring).
    await set_columns(Customer, scores, ["score", "score_breakdown", "scored_at"])
    return len(scores)


async def score_customers(workspace_id: int, customer_ids: Iterable[int], now: datetime) -> int:
    """Scores the workspace's customers among `customer_ids` as of `now` (ids of other
    workspaces, or of customers since deleted, are skipped); returns how many were scored."""
    ids = sorted(set(customer_ids))
    scored = 0
    for start in range(0, len(ids), BATCH_SIZE):
        rows = await Customer.filter(
            workspace_id=workspace_id, id__in=ids[start : start + BATCH_SIZE]
        ).values(*_CUSTOMER_COLUMNS)
        scored += await _score_rows(workspace_id, rows, now)
    return scored


async def score_workspace(workspace_id: int, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Scores every customer of the workspace as of `now`, `batch_size` at a time in id
    order; returns how many were scored."""
    scored, after = 0, 0
    while True:
        rows = (
            await Customer.filter(workspace_id=workspace_id, id__gt=after)
            .order_by("id")
            .limit(batch_size)
            .values(*_CUSTOMER_COLUMNS)
        )
        scored += await _score_rows(workspace_id, rows, now)
        if len(rows) < batch_size:
            return scored
        after = rows[-1]["id"]


async def workspace_pages(size: int = 1000) -> AsyncIterator[list[tuple[int, datetime]]]:
    """Every workspace as (id, created_at), `size` at a time in id order."""
    after = 0
    while True:
        page = (
            await Workspace.filter(id__gt=after)
            .order_by("id")
            .limit(size)
            .values_list("id", "created_at")
        )
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1][0]
