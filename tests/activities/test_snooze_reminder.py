"""snoozeReminder: remind me later; the reminder is pending again at its new time."""

from datetime import UTC, datetime, timedelta

from models import Reminder
from models.enums import ReminderStatus
from tests.documents import document
from tests.factories import create_customer, instant, invite, iso, pk, plan_follow_up
from tests.helpers import Account, GraphQL

CUSTOMER = """
query($id: ID!) { customer(id: $id) { nextFollowUpAt } }
"""

DAY = datetime(2031, 8, 4, 1, 0, tzinfo=UTC)


async def _plan(gql: GraphQL, account: Account, customer_id: str, days: int) -> str:
    return await plan_follow_up(gql, account, customer_id, DAY, DAY + timedelta(days=days))


async def _next_follow_up(gql: GraphQL, account: Account, customer_id: str) -> datetime | None:
    result = await gql.execute(CUSTOMER, {"id": customer_id}, account.token)
    return instant(result.ok()["customer"]["nextFollowUpAt"])


async def test_snoozing_moves_the_reminder_and_the_customers_next_follow_up(
    gql: GraphQL, workspace
):
    # given
    customer = await create_customer(gql, workspace)
    reminder = await _plan(gql, workspace, customer["id"], 2)
    until = DAY + timedelta(days=9)

    # when
    result = await gql.execute(
        document("snoozeReminder"), {"id": reminder, "until": iso(until)}, workspace.token
    )

    # then
    payload = result.ok()["snoozeReminder"]
    assert payload["errors"] == []
    assert payload["reminder"]["status"] == "PENDING"
    assert instant(payload["reminder"]["dueAt"]) == until
    assert instant(payload["reminder"]["customer"]["nextFollowUpAt"]) == until
    assert (await Reminder.get(id=pk(reminder))).due_at == until


async def test_snoozing_past_another_pending_reminder_makes_that_one_next(gql: GraphQL, workspace):
    # given: the rep follows up on their customer on day 2, the admin on day 5
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, rep)
    reps = await _plan(gql, rep, customer["id"], 2)
    await _plan(gql, workspace, customer["id"], 5)

    # when
    result = await gql.execute(
        document("snoozeReminder"), {"id": reps, "until": iso(DAY + timedelta(days=8))}, rep.token
    )

    # then
    assert result.ok()["snoozeReminder"]["errors"] == []
    assert await _next_follow_up(gql, workspace, customer["id"]) == DAY + timedelta(days=5)


async def test_a_sent_reminder_is_pending_again(gql: GraphQL, workspace):
    # given: the worker has sent it
    customer = await create_customer(gql, workspace)
    reminder = await _plan(gql, workspace, customer["id"], 2)
    await Reminder.filter(id=pk(reminder)).update(
        status=ReminderStatus.SENT, sent_at=datetime.now(UTC)
    )

    # when
    result = await gql.execute(
        document("snoozeReminder"),
        {"id": reminder, "until": iso(DAY + timedelta(days=3))},
        workspace.token,
    )

    # then
    payload = result.ok()["snoozeReminder"]
    assert payload["errors"] == []
    assert payload["reminder"]["status"] == "PENDING"
    assert payload["reminder"]["sentAt"] is None
    stored = await Reminder.get(id=pk(reminder))
    assert (stored.status, stored.sent_at) == (ReminderStatus.PENDING, None)


async def test_a_dismissed_reminder_is_pending_again(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    reminder = await _plan(gql, workspace, customer["id"], 2)
    await gql.execute(document("dismissReminder"), {"id": reminder}, workspace.token)
    assert await _next_follow_up(gql, workspace, customer["id"]) is None

    # when
    result = await gql.execute(
        document("snoozeReminder"),
        {"id": reminder, "until": iso(DAY + timedelta(days=4))},
        workspace.token,
    )

    # then
    assert result.ok()["snoozeReminder"]["reminder"]["status"] == "PENDING"
    assert await _next_follow_up(gql, workspace, customer["id"]) == DAY + timedelta(days=4)


async def test_until_must_be_in_the_future(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    reminder = await _plan(gql, workspace, customer["id"], 2)

    # when
    result = await gql.execute(
        document("snoozeReminder"),
        {"id": reminder, "until": iso(datetime.now(UTC) - timedelta(minutes=1))},
        workspace.token,
    )

    # then
    payload = result.ok()["snoozeReminder"]
    assert payload["reminder"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("until", "INVALID")]
    stored = await Reminder.get(id=pk(reminder))
    assert stored.due_at == DAY + timedelta(days=2)
    assert await _next_follow_up(gql, workspace, customer["id"]) == DAY + timedelta(days=2)


async def test_a_rep_cannot_snooze_another_users_reminder(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, workspace)
    admins = await _plan(gql, workspace, customer["id"], 2)

    # when
    result = await gql.execute(
        document("snoozeReminder"), {"id": admins, "until": iso(DAY + timedelta(days=9))}, rep.token
    )

    # then
    payload = result.ok()["snoozeReminder"]
    assert payload["reminder"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
    assert (await Reminder.get(id=pk(admins))).due_at == DAY + timedelta(days=2)


async def test_a_cancelled_reminder_cannot_be_snoozed(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    replaced = await _plan(gql, workspace, customer["id"], 2)
    await _plan(gql, workspace, customer["id"], 4)

    # when
    result = await gql.execute(
        document("snoozeReminder"),
        {"id": replaced, "until": iso(DAY + timedelta(days=1))},
        workspace.token,
    )

    # then
    payload = result.ok()["snoozeReminder"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "CONFLICT")]
    stored = await Reminder.get(id=pk(replaced))
    assert (stored.status, stored.due_at) == (ReminderStatus.CANCELLED, DAY + timedelta(days=2))
    assert await _next_follow_up(gql, workspace, customer["id"]) == DAY + timedelta(days=4)
