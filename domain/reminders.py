"""Reminder dispatch: each due reminder is claimed by exactly one worker, exactly once.

The claim is a single UPDATE … RETURNING whose inner SELECT skips rows other
workers hold (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer at a
time, so its conditional UPDATE alone decides). A reminder moves PENDING → SENT
once, whatever the number of workers or repeated job runs.

A sending is a reminder and its `sent_at`: snoozing makes a SENT reminder PENDING again,
and its next sending has another instant. `sent_reminders` reads sendings back for their
owner, so an announcement outlived by a dismissal or a snooze names nothing.

Announcing a sending (to `reminderDue` subscribers, through Redis) comes after the claim
has committed, so it can fail on its own. The row keeps what is owed: `announced_at`
stays NULL until the announcement is out, and `announce_owed` makes the owed ones on
every run, for an hour after their sending; later, a push would only be noise (the
`reminders` query lists them). Announcements are at least once (two runs may both make
one); subscribers yield each sending once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.activities import reminder_filter
from domain.sql import Sql
from domain.viewer import Viewer
from models import Reminder
from models.enums import ReminderStatus

CLAIM_BATCH = 500
# How long after its sending a reminder's owed announcement is still made.
ANNOUNCE_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class DueReminder:
    id: int
    workspace_id: int
    user_id: int
    customer_id: int
    sent_at: datetime


async def claim_due_reminders(
    now: datetime | None = None, limit: int = CLAIM_BATCH
) -> list[DueReminder]:
    now = now or datetime.now(UTC)
    sql = Sql(Reminder._meta.db)
    # Written exactly as the ORM stores instants, so later reads of the row agree.
    at = Reminder._meta.fields_map["due_at"].to_db_value(now, Reminder)
    sent, pending = ReminderStatus.SENT.value, ReminderStatus.PENDING.value
    statement = (
        f"UPDATE reminder SET status = {sql.bind(sent)}, sent_at = {sql.bind(at)}, "
        f"updated_at = {sql.bind(at)}, announced_at = NULL "
        "WHERE id IN ("
        f"SELECT id FROM reminder WHERE status = {sql.bind(pending)} "
        f"AND {sql.instant_is('due_at', '<=', now)} "
        f"ORDER BY {sql.instant('due_at')} LIMIT {sql.bind(limit)}"
        f"{sql.for_update(skip_locked=True)}) AND status = {sql.bind(pending)} "
        "RETURNING id, workspace_id, user_id, customer_id, sent_at"
    )
    rows = await sql.dicts(statement)
    sent_at = Reminder._meta.fields_map["sent_at"]
    # As a later read of the row gives it (SQLite returns text), so the two compare equal.
    return [
        DueReminder(**{**row, "sent_at": sent_at.to_python_value(row["sent_at"])}) for row in rows
    ]


async def announce_owed(
    announce: Callable[[DueReminder], Awaitable[None]], now: datetime | None = None
) -> int:
    """Announces each sending still owed an announcement (sent within ANNOUNCE_WITHIN),
    oldest first, and marks it once it is out; returns how many were announced.

    If `announce` fails, those already out are marked and the error is raised: the rest
    stay owed for the next run.
    """
    now = now or datetime.now(UTC)
    announced = 0
    while True:
        owed = (
            await Reminder.filter(
                status=ReminderStatus.SENT,
                announced_at__isnull=True,
                sent_at__gte=now - ANNOUNCE_WITHIN,
            )
            .order_by("sent_at", "id")
            .limit(CLAIM_BATCH)
            .values("id", "workspace_id", "user_id", "customer_id", "sent_at")
        )
        out: list[int] = []
        try:
            for row in owed:
                await announce(DueReminder(**row))
                out.append(row["id"])
        finally:
            if out:
                await Reminder.filter(id__in=out, announced_at__isnull=True).update(
                    announced_at=now
                )
        announced += len(out)
        if len(owed) < CLAIM_BATCH:
            return announced


async def sent_reminders(viewer: Viewer, sendings: dict[int, datetime]) -> list[Reminder]:
    """The viewer's own reminders still as these sendings (id → sent_at) left them.

    One statement whatever the number (beside the viewer's scope, once). A reminder of
    another user or workspace, of a customer the viewer no longer sees
    (`domain.activities.reminder_filter`), or one dismissed, snoozed (pending again, or
    sent anew at another instant) or cancelled since, is left out: the sendings are only
    hints, the database decides.
    """
    if viewer.user_id is None or not sendings:
        return []
    reminders = await Reminder.filter(
        await reminder_filter(viewer),
        id__in=list(sendings),
        workspace_id=viewer.workspace_id,
        user_id=viewer.user_id,
        status=ReminderStatus.SENT,
    ).order_by("sent_at", "id")
    return [reminder for reminder in reminders if reminder.sent_at == sendings[reminder.id]]
