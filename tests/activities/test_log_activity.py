"""logActivity: what it records, what it does to the customer, and the reminder it schedules."""

from datetime import UTC, datetime, timedelta

from models import Activity, Reminder
from tests.documents import document
from tests.factories import (
    create_customer,
    create_opportunity,
    instant,
    invite,
    iso,
    log_activity,
    pk,
)
from tests.helpers import GraphQL

CUSTOMER = """
query($id: ID!) { customer(id: $id) { id lastActivityAt nextFollowUpAt } }
"""
REMINDERS = """
query($filter: ReminderFilter) {
  reminders(first: 50, filter: $filter) {
    totalCount
    edges { node { id status dueAt user { id } customer { id } activity { id } } }
  }
}
"""
ACTIVITY_REMINDER = """
query($id: ID!) { node(id: $id) { ... on Activity { reminder { id status dueAt } } } }
"""

MONDAY = datetime(2031, 3, 3, 2, 0, tzinfo=UTC)


async def _log(gql: GraphQL, token: str, **fields):
    return await gql.execute(document("logActivity"), {"input": {"kind": "CALL", **fields}}, token)


async def _customer(gql: GraphQL, token: str, customer_id: str) -> dict:
    return (await gql.execute(CUSTOMER, {"id": customer_id}, token)).ok()["customer"]


async def test_log_activity_records_what_happened(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace, contacts=[{"name": "王伟"}])
    contact = customer["contacts"]["edges"][0]["node"]
    opportunity = await create_opportunity(gql, workspace, customer["id"])

    # when
    result = await _log(
        gql,
        workspace.token,
        customerId=customer["id"],
        contactId=contact["id"],
        opportunityId=opportunity["id"],
        kind="VISIT",
        occurredAt=iso(MONDAY),
        content="  客户希望下周看演示  ",
    )

    # then
    payload = result.ok()["logActivity"]
    assert payload["errors"] == []
    activity = payload["activity"]
    assert activity["kind"] == "VISIT"
    assert activity["content"] == "客户希望下周看演示"
    assert instant(activity["occurredAt"]) == MONDAY
    assert activity["customer"]["id"] == customer["id"]
    assert activity["contact"] == {"id": contact["id"], "name": "王伟"}
    assert activity["opportunity"]["id"] == opportunity["id"]
    assert activity["author"]["id"] == workspace.user_id
    assert activity["nextFollowUpAt"] is None
    assert activity["reminder"] is None
    assert await Activity.filter(id=pk(activity["id"])).exists()


async def test_occurred_at_defaults_to_now(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    before = datetime.now(UTC)

    # when
    result = await _log(gql, workspace.token, customerId=customer["id"], content="刚打完电话")

    # then
    after = datetime.now(UTC)
    activity = result.ok()["logActivity"]["activity"]
    assert before - timedelta(seconds=1) <= instant(activity["occurredAt"]) <= after
    stored = await _customer(gql, workspace.token, customer["id"])
    assert instant(stored["lastActivityAt"]) == instant(activity["occurredAt"])


async def test_occurred_at_with_an_offset_is_the_same_instant(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)

    # when: 10:00 in Beijing is 02:00 UTC
    result = await _log(
        gql,
        workspace.token,
        customerId=customer["id"],
        content="拜访",
        occurredAt="2031-03-03T10:00:00+08:00",
    )

    # then
    activity = result.ok()["logActivity"]["activity"]
    assert instant(activity["occurredAt"]) == MONDAY
    stored = await _customer(gql, workspace.token, customer["id"])
    assert instant(stored["lastActivityAt"]) == MONDAY


async def test_sets_the_customers_last_activity_at(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    assert (await _customer(gql, workspace.token, customer["id"]))["lastActivityAt"] is None

    # when
    await log_activity(gql, workspace, customer["id"], occurredAt=iso(MONDAY))
    await log_activity(gql, workspace, customer["id"], occurredAt=iso(MONDAY + timedelta(days=1)))

    # then
    stored = await _customer(gql, workspace.token, customer["id"])
    assert instant(stored["lastActivityAt"]) == MONDAY + timedelta(days=1)


async def test_an_older_activity_does_not_move_last_activity_at_back(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    await log_activity(gql, workspace, customer["id"], occurredAt=iso(MONDAY))

    # when: a call from last week is written up late
    await log_activity(gql, workspace, customer["id"], occurredAt=iso(MONDAY - timedelta(days=7)))

    # then
    stored = await _customer(gql, workspace.token, customer["id"])
    assert instant(stored["lastActivityAt"]) == MONDAY


async def test_follow_up_schedules_a_pending_reminder_for_the_author(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, rep)  # the rep's: they see it
    follow_up = MONDAY + timedelta(days=7)

    # when
    result = await _log(
        gql,
        rep.token,
        customerId=customer["id"],
        content="客户希望下周看演示",
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(follow_up),
    )

    # then
    activity = result.ok()["logActivity"]["activity"]
    assert instant(activity["nextFollowUpAt"]) == follow_up
    reminder = activity["reminder"]
    assert reminder["status"] == "PENDING"
    assert instant(reminder["dueAt"]) == follow_up
    assert reminder["sentAt"] is None
    assert reminder["note"] == "客户希望下周看演示"
    assert reminder["user"]["id"] == rep.user_id
    assert reminder["customer"]["id"] == customer["id"]
    assert reminder["activity"]["id"] == activity["id"]
    listed = (await gql.execute(REMINDERS, {}, rep.token)).ok()["reminders"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [reminder["id"]]


async def test_follow_up_sets_the_customers_next_follow_up_at(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    follow_up = MONDAY + timedelta(days=2)

    # when
    await log_activity(
        gql, workspace, customer["id"], occurredAt=iso(MONDAY), nextFollowUpAt=iso(follow_up)
    )

    # then
    stored = await _customer(gql, workspace.token, customer["id"])
    assert instant(stored["nextFollowUpAt"]) == follow_up


async def test_a_new_follow_up_cancels_the_authors_earlier_pending_one(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    first = await log_activity(
        gql,
        workspace,
        customer["id"],
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=3)),
    )

    # when: the rep plans a later next step
    second = await log_activity(
        gql,
        workspace,
        customer["id"],
        occurredAt=iso(MONDAY + timedelta(days=1)),
        nextFollowUpAt=iso(MONDAY + timedelta(days=10)),
    )

    # then: only the latest plan stays pending, and the customer follows it
    earlier = (await gql.execute(ACTIVITY_REMINDER, {"id": first["id"]}, workspace.token)).ok()
    assert earlier["node"]["reminder"]["status"] == "CANCELLED"
    assert second["reminder"]["status"] == "PENDING"
    pending = (
        await gql.execute(REMINDERS, {"filter": {"status": "PENDING"}}, workspace.token)
    ).ok()["reminders"]
    assert [edge["node"]["id"] for edge in pending["edges"]] == [second["reminder"]["id"]]
    stored = await _customer(gql, workspace.token, customer["id"])
    assert instant(stored["nextFollowUpAt"]) == MONDAY + timedelta(days=10)


async def test_a_follow_up_for_another_customer_is_not_cancelled(gql: GraphQL, workspace):
    # given
    one = await create_customer(gql, workspace)
    other = await create_customer(gql, workspace)
    kept = await log_activity(
        gql,
        workspace,
        one["id"],
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=3)),
    )

    # when
    await log_activity(
        gql,
        workspace,
        other["id"],
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=4)),
    )

    # then
    reminder = await Reminder.get(id=pk(kept["reminder"]["id"]))
    assert reminder.status == "PENDING"


async def test_a_new_follow_up_keeps_another_users_pending_reminder(gql: GraphQL, workspace):
    # given: a rep and their manager both plan a follow-up with the same customer
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, rep)  # the rep's: they see it
    reps = await log_activity(
        gql,
        rep,
        customer["id"],
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=3)),
    )

    # when
    admins = await log_activity(
        gql,
        workspace,
        customer["id"],
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=5)),
    )

    # then
    assert (await Reminder.get(id=pk(reps["reminder"]["id"]))).status == "PENDING"
    assert (await Reminder.get(id=pk(admins["reminder"]["id"]))).status == "PENDING"


async def test_next_follow_up_at_is_the_soonest_pending_reminder(gql: GraphQL, workspace):
    # given: the rep follows up on day 3
    rep = await invite(gql, workspace, "REP")
    customer = await create_customer(gql, rep)  # the rep's: they see it
    await log_activity(
        gql,
        rep,
        customer["id"],
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=3)),
    )

    # when: the admin plans a later one, then the rep moves theirs after the admin's
    await log_activity(
        gql,
        workspace,
        customer["id"],
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=5)),
    )
    after_admin = await _customer(gql, workspace.token, customer["id"])
    await log_activity(
        gql,
        rep,
        customer["id"],
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=8)),
    )
    after_rep = await _customer(gql, workspace.token, customer["id"])

    # then
    assert instant(after_admin["nextFollowUpAt"]) == MONDAY + timedelta(days=3)
    assert instant(after_rep["nextFollowUpAt"]) == MONDAY + timedelta(days=5)


async def test_an_activity_without_follow_up_keeps_the_pending_reminder(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    planned = await log_activity(
        gql,
        workspace,
        customer["id"],
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=3)),
    )

    # when
    await log_activity(gql, workspace, customer["id"], occurredAt=iso(MONDAY + timedelta(days=1)))

    # then
    assert (await Reminder.get(id=pk(planned["reminder"]["id"]))).status == "PENDING"
    stored = await _customer(gql, workspace.token, customer["id"])
    assert instant(stored["nextFollowUpAt"]) == MONDAY + timedelta(days=3)


async def test_blank_content_is_required(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)

    # when
    result = await _log(gql, workspace.token, customerId=customer["id"], content="   ")

    # then
    payload = result.ok()["logActivity"]
    assert payload["activity"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.content", "REQUIRED")]
    assert not await Activity.filter(customer_id=pk(customer["id"])).exists()


async def test_follow_up_must_come_after_the_activity(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)

    for follow_up in (MONDAY, MONDAY - timedelta(hours=1)):
        # when
        result = await _log(
            gql,
            workspace.token,
            customerId=customer["id"],
            content="电话",
            occurredAt=iso(MONDAY),
            nextFollowUpAt=iso(follow_up),
        )

        # then
        payload = result.ok()["logActivity"]
        assert payload["activity"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("input.nextFollowUpAt", "INVALID")
        ]
    assert not await Reminder.filter(customer_id=pk(customer["id"])).exists()


async def test_a_refused_follow_up_leaves_the_earlier_reminder_pending(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    planned = await log_activity(
        gql,
        workspace,
        customer["id"],
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=3)),
    )

    # when
    result = await _log(
        gql,
        workspace.token,
        customerId=customer["id"],
        content="   ",
        occurredAt=iso(MONDAY),
        nextFollowUpAt=iso(MONDAY + timedelta(days=9)),
    )

    # then
    assert result.ok()["logActivity"]["errors"]
    assert (await Reminder.get(id=pk(planned["reminder"]["id"]))).status == "PENDING"


async def test_contact_of_another_customer_is_not_found(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    other = await create_customer(gql, workspace, contacts=[{"name": "李娜"}])
    foreign_contact = other["contacts"]["edges"][0]["node"]["id"]

    # when
    result = await _log(
        gql, workspace.token, customerId=customer["id"], contactId=foreign_contact, content="电话"
    )

    # then
    payload = result.ok()["logActivity"]
    assert payload["activity"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("input.contactId", "NOT_FOUND")
    ]


async def test_opportunity_of_another_customer_is_not_found(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)
    other = await create_customer(gql, workspace)
    foreign_deal = await create_opportunity(gql, workspace, other["id"])

    # when
    result = await _log(
        gql,
        workspace.token,
        customerId=customer["id"],
        opportunityId=foreign_deal["id"],
        content="电话",
    )

    # then
    payload = result.ok()["logActivity"]
    assert payload["activity"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("input.opportunityId", "NOT_FOUND")
    ]


async def test_customer_of_another_workspace_is_not_found(gql: GraphQL, workspace):
    # given
    stranger = await gql.sign_up()
    foreign = await create_customer(gql, stranger)

    # when
    result = await _log(gql, workspace.token, customerId=foreign["id"], content="电话")

    # then
    payload = result.ok()["logActivity"]
    assert payload["activity"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("input.customerId", "NOT_FOUND")
    ]
    assert not await Activity.filter(customer_id=pk(foreign["id"])).exists()


async def test_malformed_customer_id_is_not_found(gql: GraphQL, workspace):
    # when
    result = await _log(gql, workspace.token, customerId="not-an-id", content="电话")

    # then
    payload = result.ok()["logActivity"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("input.customerId", "NOT_FOUND")
    ]


async def test_an_instant_without_offset_is_on_the_viewers_clock_here_utc(gql: GraphQL, workspace):
    # given
    customer = await create_customer(gql, workspace)

    # when
    result = await _log(
        gql,
        workspace.token,
        customerId=customer["id"],
        content="电话",
        occurredAt="2031-03-03T02:00:00",
        nextFollowUpAt="2031-03-04T02:00:00",
    )

    # then
    activity = result.ok()["logActivity"]["activity"]
    assert instant(activity["occurredAt"]) == MONDAY
    assert instant(activity["reminder"]["dueAt"]) == MONDAY + timedelta(days=1)
