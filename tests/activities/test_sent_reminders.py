"""Reading announced sendings back: the viewer's own, still as sent, in one statement."""

from datetime import UTC, datetime, timedelta

from domain.reminders import claim_due_reminders, sent_reminders
from models import Customer, Reminder
from tests.factories import create_customer, invite, log_activity, pk, viewer_of
from tests.helpers import Account, GraphQL, count_queries


async def _sent(gql: GraphQL, account: Account) -> Reminder:
    """A reminder of the account's, claimed by the dispatcher."""
    customer = await create_customer(gql, account)
    planned = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    activity = await log_activity(gql, account, customer["id"], nextFollowUpAt=planned)
    reminder_id = pk(activity["reminder"]["id"])
    await Reminder.filter(id=reminder_id).update(due_at=datetime.now(UTC) - timedelta(seconds=1))
    claimed = {due.id: due for due in await claim_due_reminders()}
    reminder = await Reminder.get(id=reminder_id)
    # what the dispatcher announces is what the database holds
    assert claimed[reminder_id].sent_at == reminder.sent_at
    return reminder


async def test_the_viewers_sendings_are_read_in_one_statement(gql: GraphQL, workspace: Account):
    # given: three of the viewer's reminders sent, one of a colleague's, and a stale sending
    mine = [await _sent(gql, workspace) for _ in range(3)]
    colleagues = await _sent(gql, await invite(gql, workspace, "REP"))
    stale = await _sent(gql, workspace)
    sendings = {reminder.id: reminder.sent_at for reminder in [*mine, colleagues]}
    sendings[stale.id] = stale.sent_at - timedelta(minutes=1)
    viewer = await viewer_of(workspace)

    # when
    with count_queries() as statements:
        found = await sent_reminders(viewer, sendings)

    # then: the viewer's own, in the order they were sent
    assert [reminder.id for reminder in found] == [reminder.id for reminder in mine]
    assert len(statements) == 1, statements


async def test_nothing_to_read_costs_nothing(workspace: Account):
    viewer = await viewer_of(workspace)
    with count_queries() as statements:
        assert await sent_reminders(viewer, {}) == []
    assert statements == []


async def test_a_sending_of_a_customer_the_viewer_no_longer_sees_is_left_out(
    gql: GraphQL, workspace: Account
):
    # given: a rep's reminder sent, then its customer given to a colleague
    rep = await invite(gql, workspace, "REP")
    colleague = await invite(gql, workspace, "REP")
    kept, moved = await _sent(gql, rep), await _sent(gql, rep)
    await Customer.filter(id=moved.customer_id).update(owner_id=pk(colleague.user_id))
    sendings = {reminder.id: reminder.sent_at for reminder in (kept, moved)}

    # when
    found = await sent_reminders(await viewer_of(rep), sendings)

    # then
    assert [reminder.id for reminder in found] == [kept.id]
