"""dismissReminder: done with a follow-up; the customer's next follow-up moves on."""

from datetime import UTC, datetime, timedelta

from models import Reminder
from models.enums import ReminderStatus
from tests.documents import document
from tests.factories import (
    create_customer,
    instant,
    invite,
    make_team_tree,
    pk,
    plan_follow_up,
    put_in_team,
)
from tests.helpers import Account, GraphQL

CUSTOMER = """
query($id: ID!) { customer(id: $id) { nextFollowUpAt } }
"""

DAY = datetime(2031, 7, 7, 1, 0, tzinfo=UTC)


async def _plan(gql: GraphQL, account: Account, customer_id: str, days: int) -> str:
    return await plan_follow_up(gql, account, customer_id, DAY, DAY + timedelta(days=days))


async def test_dismissing_clears_the_customers_next_follow_up(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    reminder = await _plan(gql, workspace, customer["id"], 2)

    # when
    result = await gql.execute(document("dismissReminder"), {"id": reminder}, workspace.token)

    # then
    payload = result.ok()["dismissReminder"]
    assert payload["errors"] == []
    assert payload["reminder"]["id"] == reminder
    assert payload["reminder"]["status"] == "DISMISSED"
    assert payload["reminder"]["customer"]["nextFollowUpAt"] is None
    assert (await Reminder.get(id=pk(reminder))).status == ReminderStatus.DISMISSED


async def test_dismissing_moves_the_next_follow_up_to_the_next_pending_one(gql: GraphQL, workspace):
    # given: the rep follows up on their customer on day 2, the admin on day 6
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, rep)
    reps = await _plan(gql, rep, customer["id"], 2)
    await _plan(gql, workspace, customer["id"], 6)

    # when
    result = await gql.execute(document("dismissReminder"), {"id": reps}, rep.token)

    # then
    assert result.ok()["dismissReminder"]["errors"] == []
    stored = (await gql.execute(CUSTOMER, {"id": customer["id"]}, workspace.token)).ok()
    assert instant(stored["customer"]["nextFollowUpAt"]) == DAY + timedelta(days=6)


async def test_a_sent_reminder_can_be_dismissed(gql: GraphQL, workspace):
    # given: the worker has sent it
    customer = await create_customer(gql, workspace)
    reminder = await _plan(gql, workspace, customer["id"], 2)
    await Reminder.filter(id=pk(reminder)).update(
        status=ReminderStatus.SENT, sent_at=datetime.now(UTC)
    )

    # when
    result = await gql.execute(document("dismissReminder"), {"id": reminder}, workspace.token)

    # then
    payload = result.ok()["dismissReminder"]
    assert payload["errors"] == []
    assert payload["reminder"]["status"] == "DISMISSED"


async def test_dismissing_twice_is_harmless(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    reminder = await _plan(gql, workspace, customer["id"], 2)
    await gql.execute(document("dismissReminder"), {"id": reminder}, workspace.token)

    # when
    result = await gql.execute(document("dismissReminder"), {"id": reminder}, workspace.token)

    # then
    payload = result.ok()["dismissReminder"]
    assert payload["errors"] == []
    assert payload["reminder"]["status"] == "DISMISSED"


async def test_a_rep_cannot_dismiss_another_users_reminder(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, workspace)
    admins = await _plan(gql, workspace, customer["id"], 2)

    # when
    result = await gql.execute(document("dismissReminder"), {"id": admins}, rep.token)

    # then
    payload = result.ok()["dismissReminder"]
    assert payload["reminder"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
    assert (await Reminder.get(id=pk(admins))).status == ReminderStatus.PENDING


async def test_a_manager_may_dismiss_a_reps_reminder(gql: GraphQL, workspace):
    # given: the manager manages the rep's team; the customer is the rep's
    manager = await invite(gql, workspace, "MANAGER")
    rep = await invite(gql, workspace, "REP")
    teams = await make_team_tree(workspace, {"sales": None})
    await put_in_team(teams["sales"], manager, rep)
    customer = await create_customer(gql, rep)
    reps = await _plan(gql, rep, customer["id"], 2)

    # when
    result = await gql.execute(document("dismissReminder"), {"id": reps}, manager.token)

    # then
    payload = result.ok()["dismissReminder"]
    assert payload["errors"] == []
    assert payload["reminder"]["status"] == "DISMISSED"


async def test_a_cancelled_reminder_cannot_be_dismissed(gql: GraphQL, workspace):
    # given: replaced by a later follow-up for the same customer
    customer = await create_customer(gql, workspace)
    replaced = await _plan(gql, workspace, customer["id"], 2)
    await _plan(gql, workspace, customer["id"], 4)

    # when
    result = await gql.execute(document("dismissReminder"), {"id": replaced}, workspace.token)

    # then
    payload = result.ok()["dismissReminder"]
    assert payload["reminder"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "CONFLICT")]
    assert (await Reminder.get(id=pk(replaced))).status == ReminderStatus.CANCELLED
    stored = (await gql.execute(CUSTOMER, {"id": customer["id"]}, workspace.token)).ok()
    assert instant(stored["customer"]["nextFollowUpAt"]) == DAY + timedelta(days=4)


async def test_another_workspaces_reminder_is_not_found(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    customer = await create_customer(gql, stranger)
    foreign = await _plan(gql, stranger, customer["id"], 2)

    # when
    result = await gql.execute(document("dismissReminder"), {"id": foreign}, workspace.token)

    # then
    payload = result.ok()["dismissReminder"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
    assert (await Reminder.get(id=pk(foreign))).status == ReminderStatus.PENDING


async def test_an_id_of_another_type_is_not_found(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)

    # when
    result = await gql.execute(document("dismissReminder"), {"id": customer["id"]}, workspace.token)

    # then
    payload = result.ok()["dismissReminder"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
