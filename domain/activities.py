"""Follow-ups: logging what happened with a customer, and the reminders that come of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.access import check_change
from domain.dates import check_instant
from domain.errors import DomainError, ErrorCode, Problems, forbidden, not_found
from domain.follow_ups import (
    FOLLOW_UP_AFTER_ACTIVITY,
    FollowUp,
    refresh_customer_activity,
    schedule_follow_ups,
)
from domain.local_time import Moment, ViewerClock
from domain.validation import clean_text
from domain.viewer import Viewer
from domain.visibility import customer_filter
from models import Activity, Contact, Customer, Opportunity, Reminder
from models.enums import ActivityKind, ReminderStatus

MAX_CONTENT_LENGTH = 20_000
# Messages `logActivity` and the activity import give alike.
SAY_WHAT_HAPPENED = "Say what happened."
CONTENT_TOO_LONG = f"At most {MAX_CONTENT_LENGTH} characters."


@dataclass
class ActivityData:
    customer_id: int
    kind: ActivityKind
    content: str
    contact_id: int | None = None
    opportunity_id: int | None = None
    # Without an offset, on the viewer's clock (domain.local_time).
    occurred_at: Moment | None = None
    next_follow_up_at: Moment | None = None


async def log_activity(viewer: Viewer, data: ActivityData) -> Activity:
    """Records an activity; with `next_follow_up_at` it schedules the author's next reminder.

    The author's earlier pending follow-up for the customer is cancelled: a rep
    has one next step per customer, the latest one they planned.
    """
    problems = Problems()
    customer = await Customer.get_or_none(id=data.customer_id, workspace_id=viewer.workspace_id)
    if customer is None:
        problems.add("input.customerId", "Customer not found.", ErrorCode.NOT_FOUND)
    else:
        await check_change(viewer, customer, "input.customerId", "Customer")
    if (
        data.contact_id is not None
        and not await Contact.filter(
            id=data.contact_id, workspace_id=viewer.workspace_id, customer_id=data.customer_id
        ).exists()
    ):
        problems.add("input.contactId", "Contact not found for this customer.", ErrorCode.NOT_FOUND)
    if (
        data.opportunity_id is not None
        and not await Opportunity.filter(
            id=data.opportunity_id, workspace_id=viewer.workspace_id, customer_id=data.customer_id
        ).exists()
    ):
        problems.add(
            "input.opportunityId", "Opportunity not found for this customer.", ErrorCode.NOT_FOUND
        )
    content = clean_text(data.content)
    if not content:
        problems.add("input.content", SAY_WHAT_HAPPENED, ErrorCode.REQUIRED)
    elif len(content) > MAX_CONTENT_LENGTH:
        problems.add("input.content", CONTENT_TOO_LONG)
    clock = ViewerClock(viewer)
    occurred_at = check_instant(
        problems, "input.occurredAt", await clock.instant(data.occurred_at)
    ) or datetime.now(UTC)
    follow_up = check_instant(
        problems, "input.nextFollowUpAt", await clock.instant(data.next_follow_up_at)
    )
    if follow_up is not None and follow_up <= occurred_at:
        problems.add("input.nextFollowUpAt", FOLLOW_UP_AFTER_ACTIVITY)
    remind_user_id = viewer.user_id or (customer.owner_id if customer else None)
    if follow_up is not None and remind_user_id is None:
        problems.add(
            "input.nextFollowUpAt",
            "Nobody to remind: give the customer an owner or log the activity as a user.",
        )
    problems.raise_if_any()
    assert customer is not None and content is not None

    async with in_transaction():
        activity = await Activity.create(
            workspace_id=viewer.workspace_id,
            customer_id=customer.id,
            contact_id=data.contact_id,
            opportunity_id=data.opportunity_id,
            author_id=viewer.user_id,
            kind=data.kind,
            occurred_at=occurred_at,
            content=content,
            next_follow_up_at=follow_up,
        )
        now = datetime.now(UTC)
        scheduled = (
            [FollowUp(customer.id, remind_user_id, follow_up, content, activity.id)]
            if follow_up is not None and remind_user_id is not None
            else []
        )
        soonest = await schedule_follow_ups(viewer, scheduled, [customer.id], now)
        if data.opportunity_id is not None:
            await _note_deal_activity(data.opportunity_id, occurred_at)
        last = customer.last_activity_at
        last_activity = occurred_at if last is None else max(last, occurred_at)
        await refresh_customer_activity({customer.id: last_activity}, soonest, now)
    return activity


async def _note_deal_activity(opportunity_id: int, occurred_at: datetime) -> None:
    """A deal worked on is not idle: its last activity is what rotting is measured from."""
    await (
        Opportunity.filter(id=opportunity_id)
        .filter(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=occurred_at))
        .update(last_activity_at=occurred_at)
    )


async def _earliest_pending_follow_up(customer_id: int) -> datetime | None:
    """A customer's next follow-up is the soonest reminder anyone still has pending for it."""
    # Tortoise types a flat values_list as tuples; it gives the column's value.
    return cast(
        datetime | None,
        await Reminder.filter(customer_id=customer_id, status=ReminderStatus.PENDING)
        .order_by("due_at")
        .first()
        .values_list("due_at", flat=True),
    )


async def _refresh_customer_follow_up(customer_id: int) -> None:
    due = await _earliest_pending_follow_up(customer_id)
    await Customer.filter(id=customer_id).update(next_follow_up_at=due)


async def reminder_filter(viewer: Viewer) -> Q:
    """The reminders the viewer sees: those of the customers they see (`domain.visibility`),
    and of those a REP's own only (a colleague's follow-up and its note are theirs)."""
    seen = await customer_filter(viewer, "customer__")
    return seen if viewer.sees_everyone else seen & Q(user_id=viewer.user_id)


async def visible_reminders(viewer: Viewer, *, everyone: bool) -> QuerySet[Reminder]:
    """The viewer's own reminders, or every one they see for a MANAGER or ADMIN who asks
    (their teams' customers' for a MANAGER)."""
    query = Reminder.filter(await reminder_filter(viewer), workspace_id=viewer.workspace_id)
    if everyone:
        if not viewer.sees_everyone:
            raise forbidden("Only a MANAGER or ADMIN may see everyone's reminders.")
        return query
    if viewer.user_id is None:
        raise DomainError.single(
            "filter.allUsers",
            "An API key acting as the workspace has no reminders of its own; ask for allUsers.",
            ErrorCode.INVALID,
        )
    return query.filter(user_id=viewer.user_id)


async def get_reminder(viewer: Viewer, reminder_id: int) -> Reminder:
    """A reminder the viewer sees (`reminder_filter`); any other is NOT_FOUND."""
    query = Reminder.filter(
        await reminder_filter(viewer), id=reminder_id, workspace_id=viewer.workspace_id
    )
    reminder = await query.first()
    if reminder is None:
        raise not_found("id", "Reminder")
    return reminder


async def dismiss_reminder(viewer: Viewer, reminder_id: int) -> Reminder:
    reminder = await get_reminder(viewer, reminder_id)
    if reminder.status == ReminderStatus.CANCELLED:
        problems = Problems()
        problems.add("id", "This reminder was replaced by a later follow-up.", ErrorCode.CONFLICT)
        problems.raise_if_any()
    if reminder.status != ReminderStatus.DISMISSED:
        async with in_transaction():
            reminder.status = ReminderStatus.DISMISSED
            await reminder.save(update_fields=["status", "updated_at"])
            await _refresh_customer_follow_up(reminder.customer_id)
    return reminder


async def snooze_reminder(viewer: Viewer, reminder_id: int, until: Moment) -> Reminder:
    """`until` without an offset is on the viewer's clock (domain.local_time)."""
    reminder = await get_reminder(viewer, reminder_id)
    problems = Problems()
    until_utc = check_instant(problems, "until", await ViewerClock(viewer).instant(until))
    if until_utc is not None and until_utc <= datetime.now(UTC):
        problems.add("until", "Snooze until a time in the future.")
    if reminder.status == ReminderStatus.CANCELLED:
        problems.add("id", "This reminder was replaced by a later follow-up.", ErrorCode.CONFLICT)
    problems.raise_if_any()
    assert until_utc is not None  # check_instant added a problem for a missing instant
    async with in_transaction():
        reminder.due_at = until_utc
        reminder.status = ReminderStatus.PENDING
        reminder.sent_at = None
        await reminder.save(update_fields=["due_at", "status", "sent_at", "updated_at"])
        await _refresh_customer_follow_up(reminder.customer_id)
    return reminder
