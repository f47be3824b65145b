"""What logging an activity does to reminders and customers, set-based, for both doors.

`log_activity` calls these with one follow-up, the activity import with a chunk's worth:
a constant number of statements whatever the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.bulk_sql import insert_rows, update_rows
from domain.viewer import Viewer
from models import Customer, Reminder
from models.enums import ReminderStatus

# Messages the API and the import give alike.
FOLLOW_UP_AFTER_ACTIVITY = "The follow-up must come after the activity."


@dataclass
class FollowUp:
    """A reminder to schedule: `user_id`'s next step with the customer."""

    customer_id: int
    user_id: int
    due_at: datetime
    note: str
    activity_id: int | None = None


async def schedule_follow_ups(
    viewer: Viewer, follow_ups: list[FollowUp], customer_ids: list[int], now: datetime
) -> dict[int, datetime]:
    """Schedules each follow-up as a PENDING reminder, in order. A rep has one next step per
    customer, the latest one they planned: their earlier pending reminder for the customer
    is cancelled (an earlier one of the list is written as cancelled).

    Returns the soonest reminder anyone still has pending for each of `customer_ids` (those
    the follow-ups name among them): what `refresh_customer_activity` writes. Three
    statements at most.
    """
    reminders: list[dict[str, Any]] = []
    latest: dict[tuple[int, int], dict[str, Any]] = {}
    for follow_up in follow_ups:
        key = (follow_up.customer_id, follow_up.user_id)
        if (earlier := latest.get(key)) is not None:
            earlier["status"] = ReminderStatus.CANCELLED
        latest[key] = {
            "workspace_id": viewer.workspace_id,
            "user_id": follow_up.user_id,
            "customer_id": follow_up.customer_id,
            "activity_id": follow_up.activity_id,
            "due_at": follow_up.due_at,
            "note": follow_up.note[:500],
            "status": ReminderStatus.PENDING,
        }
        reminders.append(latest[key])
    pending = await Reminder.filter(
        workspace_id=viewer.workspace_id,
        customer_id__in=sorted(set(customer_ids) | {f.customer_id for f in follow_ups}),
        status=ReminderStatus.PENDING,
    ).values("id", "customer_id", "user_id", "due_at")
    cancelled = {r["id"] for r in pending if (r["customer_id"], r["user_id"]) in latest}
    if cancelled:
        await Reminder.filter(id__in=sorted(cancelled)).update(status=ReminderStatus.CANCELLED)
    await insert_rows(Reminder._meta.db, Reminder, reminders, now)

    # A customer's next follow-up is the soonest reminder anyone still has pending for it.
    soonest: dict[int, datetime] = {}
    still_pending = [r for r in pending if r["id"] not in cancelled] + [
        r for r in reminders if r["status"] == ReminderStatus.PENDING
    ]
    for reminder in still_pending:
        due, customer_id = reminder["due_at"], reminder["customer_id"]
        soonest[customer_id] = min(due, soonest.get(customer_id, due))
    return soonest


async def refresh_customer_activity(
    last_activity: dict[int, datetime], soonest: dict[int, datetime], now: datetime
) -> None:
    """Sets each customer's `lastActivityAt` (customer id → its value) and `nextFollowUpAt`
    (the soonest pending reminder, as `schedule_follow_ups` returns them). One statement;
    two when a customer has no pending reminder left, whose next follow-up is cleared."""
    changes = {
        customer_id: {"last_activity_at": last, "next_follow_up_at": soonest.get(customer_id)}
        for customer_id, last in last_activity.items()
    }
    await update_rows(Customer._meta.db, Customer, changes, now)
    # `update_rows` keeps a stored value where the new one is NULL.
    if cleared := sorted(set(last_activity) - set(soonest)):
        await Customer.filter(id__in=cleared, next_follow_up_at__isnull=False).update(
            next_follow_up_at=None
        )
