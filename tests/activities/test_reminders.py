"""The reminders query: a rep's own, everyone's for managers, filtered, soonest first."""

from datetime import UTC, datetime, timedelta, timezone

from tests.documents import document
from tests.factories import (
    create_customer,
    invite,
    iso,
    make_team_tree,
    plan_follow_up,
    put_in_team,
)
from tests.helpers import Account, GraphQL

REMINDERS = """
query($first: Int, $after: String, $filter: ReminderFilter) {
  reminders(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id status dueAt user { id } customer { id } } }
  }
}
"""
REMINDER_NODE = """
query($id: ID!) { node(id: $id) { id ... on Reminder { dueAt } } }
"""

DAY = datetime(2031, 6, 2, 1, 0, tzinfo=UTC)


async def _plan(gql: GraphQL, account: Account, days: float, customer_id: str | None = None) -> str:
    """A pending reminder for `account`, due `days` after DAY; returns its id."""
    if customer_id is None:
        customer_id = (await create_customer(gql, account))["id"]
    return await plan_follow_up(gql, account, customer_id, DAY, DAY + timedelta(days=days))


async def _ids(gql: GraphQL, account: Account, **variables) -> list[str]:
    result = await gql.execute(REMINDERS, {"first": 50, **variables}, account.token)
    return [edge["node"]["id"] for edge in result.ok()["reminders"]["edges"]]


async def test_a_rep_sees_only_their_own_reminders(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    colleague = await invite(gql, workspace, "REP")
    mine = await _plan(gql, rep, 3)
    await _plan(gql, colleague, 2)
    await _plan(gql, workspace, 1)

    # when
    result = await gql.execute(REMINDERS, {}, rep.token)

    # then
    reminders = result.ok()["reminders"]
    assert [edge["node"]["id"] for edge in reminders["edges"]] == [mine]
    assert reminders["totalCount"] == 1
    assert reminders["edges"][0]["node"]["user"]["id"] == rep.user_id


async def test_a_manager_sees_only_their_own_unless_asking_for_all(gql: GraphQL, workspace):
    # given: the manager manages the rep's team
    manager = await invite(gql, workspace, "MANAGER")
    rep = await invite(gql, workspace, "REP")
    teams = await make_team_tree(workspace, {"sales": None})
    await put_in_team(teams["sales"], manager, rep)
    managers = await _plan(gql, manager, 2)
    reps = await _plan(gql, rep, 1)

    # when
    own = await _ids(gql, manager)
    everyone = await _ids(gql, manager, filter={"allUsers": True})

    # then
    assert own == [managers]
    assert everyone == [reps, managers]


async def test_an_admin_with_all_users_sees_the_whole_team_but_no_other_workspace(
    gql: GraphQL, workspace
):
    # given
    rep = await invite(gql, workspace, "REP")
    reps = await _plan(gql, rep, 1)
    admins = await _plan(gql, workspace, 2)
    stranger = await gql.sign_up()
    await _plan(gql, stranger, 1)

    # when
    everyone = await _ids(gql, workspace, filter={"allUsers": True})

    # then
    assert everyone == [reps, admins]


async def test_a_rep_asking_for_all_users_is_forbidden(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    await _plan(gql, workspace, 1)

    # when
    result = await gql.execute(REMINDERS, {"filter": {"allUsers": True}}, rep.token)

    # then
    assert result.data is None
    assert [error["extensions"]["code"] for error in result.errors] == ["FORBIDDEN"]


async def test_reminders_are_soonest_first_and_page(gql: GraphQL, workspace):
    # given: planned out of order, for three customers
    planned = {days: await _plan(gql, workspace, days) for days in (5, 1, 3)}

    # when
    first = (await gql.execute(REMINDERS, {"first": 2}, workspace.token)).ok()["reminders"]
    rest = (
        await gql.execute(
            REMINDERS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, workspace.token
        )
    ).ok()["reminders"]

    # then
    assert [edge["node"]["id"] for edge in first["edges"]] == [planned[1], planned[3]]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["totalCount"] == 3
    assert [edge["node"]["id"] for edge in rest["edges"]] == [planned[5]]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_status_filter(gql: GraphQL, workspace):
    # given: one reminder replaced by a later plan for the same customer, one dismissed
    customer = (await create_customer(gql, workspace))["id"]
    cancelled = await _plan(gql, workspace, 1, customer)
    pending = await _plan(gql, workspace, 2, customer)
    dismissed = await _plan(gql, workspace, 3)
    await gql.execute(document("dismissReminder"), {"id": dismissed}, workspace.token)

    # when
    by_status = {
        status: await _ids(gql, workspace, filter={"status": status})
        for status in ("PENDING", "CANCELLED", "DISMISSED", "SENT")
    }

    # then
    assert by_status == {
        "PENDING": [pending],
        "CANCELLED": [cancelled],
        "DISMISSED": [dismissed],
        "SENT": [],
    }
    assert await _ids(gql, workspace) == [cancelled, pending, dismissed]


async def test_due_before_filter(gql: GraphQL, workspace):
    # given
    soon = await _plan(gql, workspace, 1)
    later = await _plan(gql, workspace, 4)
    await _plan(gql, workspace, 5.125)  # 04:00 UTC, three hours after the cut below
    # 09:00 in Beijing on day 5 is 01:00 UTC: the same instant, written with an offset
    beijing = (DAY + timedelta(days=5)).astimezone(timezone(timedelta(hours=8))).isoformat()

    # when
    before_day_2 = await _ids(gql, workspace, filter={"dueBefore": iso(DAY + timedelta(days=2))})
    before_day_5 = await _ids(gql, workspace, filter={"dueBefore": iso(DAY + timedelta(days=5))})
    before_beijing = await _ids(gql, workspace, filter={"dueBefore": beijing})

    # then
    assert before_day_2 == [soon]
    assert before_day_5 == [soon, later]
    assert before_beijing == [soon, later]


async def test_due_before_combines_with_status(gql: GraphQL, workspace):
    # given
    customer = (await create_customer(gql, workspace))["id"]
    await _plan(gql, workspace, 1, customer)  # cancelled by the next plan
    pending = await _plan(gql, workspace, 2, customer)

    # when
    found = await _ids(
        gql, workspace, filter={"status": "PENDING", "dueBefore": iso(DAY + timedelta(days=3))}
    )

    # then
    assert found == [pending]


async def test_a_rep_cannot_read_another_users_reminder_by_id(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace, "REP")
    admins = await _plan(gql, workspace, 1)
    reps = await _plan(gql, rep, 1)

    # when
    foreign = await gql.execute(REMINDER_NODE, {"id": admins}, rep.token)
    own = await gql.execute(REMINDER_NODE, {"id": reps}, rep.token)
    managed = await gql.execute(REMINDER_NODE, {"id": reps}, workspace.token)

    # then
    assert foreign.ok()["node"] is None
    assert own.ok()["node"]["id"] == reps
    assert managed.ok()["node"]["id"] == reps


async def test_reminders_due_at_the_same_time_page_without_gaps(gql: GraphQL, workspace):
    # given: three follow-ups at the very same instant
    planned = [await _plan(gql, workspace, 2) for _ in range(3)]

    # when
    seen = []
    after = None
    for _ in range(3):
        page = (await gql.execute(REMINDERS, {"first": 1, "after": after}, workspace.token)).ok()[
            "reminders"
        ]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]

    # then
    assert seen == planned
    assert page["pageInfo"]["hasNextPage"] is False
