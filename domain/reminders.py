"""Reminder dispatch: each due reminder is claimed by exactly one worker, exactly once.

The claim is a single UPDATE … RETURNING whose inner SELECT skips rows other
workers hold (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer at a
time, so its conditional UPDATE alone decides). A reminder moves PENDING → SENT
once, whatever the number of workers or repeated job runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from models import Reminder
from models.enums import ReminderStatus

CLAIM_BATCH = 500


@dataclass(frozen=True)
class DueReminder:
    id: int
    workspace_id: int
    user_id: int
    customer_id: int


async def claim_due_reminders(
    now: datetime | None = None, limit: int = CLAIM_BATCH
) -> list[DueReminder]:
    now = now or datetime.now(UTC)
    connection = Reminder._meta.db
    postgres = connection.capabilities.dialect == "postgres"
    field = Reminder._meta.fields_map["due_at"]
    # Bind instants exactly as the ORM stores them, so SQLite's text comparison holds.
    at = field.to_db_value(now, Reminder)
    if postgres:
        sql = (
            "UPDATE reminder SET status = $1, sent_at = $2, updated_at = $2 WHERE id IN ("
            "SELECT id FROM reminder WHERE status = $3 AND due_at <= $2 "
            "ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) AND status = $3 "
            "RETURNING id, workspace_id, user_id, customer_id"
        )
        params = [ReminderStatus.SENT.value, at, ReminderStatus.PENDING.value, limit]
    else:
        sql = (
            "UPDATE reminder SET status = ?, sent_at = ?, updated_at = ? WHERE id IN ("
            "SELECT id FROM reminder WHERE status = ? AND due_at <= ? ORDER BY due_at LIMIT ?) "
            "AND status = ? RETURNING id, workspace_id, user_id, customer_id"
        )
        pending = ReminderStatus.PENDING.value
        params = [ReminderStatus.SENT.value, at, at, pending, at, limit, pending]
    rows = await connection.execute_query_dict(sql, params)
    return [DueReminder(**row) for row in rows]
