"""The nightly pool rules on a controlled clock (the domain function is given `now`): who is
warned, who returns and when, once a day, after a missed night and when run twice; and the
statements a batch costs, whatever the number of customers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.pool_rules import run_pool_rules
from domain.reminders import CLAIM_BATCH, claim_due_reminders
from models import (
    Customer,
    CustomerPool,
    FieldChange,
    Opportunity,
    PoolRun,
    Reminder,
    Workspace,
)
from models.enums import ChangeSource, ReminderKind, ReminderStatus
from tests.factories import (
    create_customer,
    create_opportunity,
    default_pipeline,
    invite,
    pk,
    workspace_pk,
)
from tests.helpers import Account, GraphQL, count_queries

ZONE = ZoneInfo("Asia/Shanghai")
D0 = date(2031, 3, 10)


def night(day: date) -> datetime:
    """01:00 on the workspace's clock: when the hourly job finds the day begun."""
    return datetime.combine(day, time(1), tzinfo=ZONE)


def days_before(day: date, days: float) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZONE) - timedelta(days=days)


async def _workspace(account: Account, **rules: Any) -> int:
    """The account's workspace on Shanghai's clock, its default pool with these rules."""
    workspace_id = await workspace_pk(account)
    await Workspace.filter(id=workspace_id).update(timezone="Asia/Shanghai")
    await CustomerPool.filter(workspace_id=workspace_id, is_default=True).delete()
    await CustomerPool.create(workspace_id=workspace_id, name="公海", is_default=True, **rules)
    return workspace_id


async def _idle(gql: GraphQL, owner: Account, idle_days: float, **columns: Any) -> int:
    """An owner's customer held for 100 days before D0, its last activity `idle_days`
    before D0 (written past the rules: the clock is the test's)."""
    customer = await create_customer(gql, owner)
    await Customer.filter(id=pk(customer["id"])).update(
        owned_since=days_before(D0, 100),
        last_activity_at=days_before(D0, idle_days),
        **columns,
    )
    return pk(customer["id"])


async def _owners(*ids: int) -> dict[int, int | None]:
    return dict(await Customer.filter(id__in=ids).values_list("id", "owner_id"))


async def test_owners_are_warned_then_their_customers_return_once_after_the_notice(
    gql: GraphQL, workspace: Account
):
    # given: 30 idle days return a customer, warned 3 days before
    workspace_id = await _workspace(
        workspace, no_activity_days=30, warn_days_before=3, exempt_deal_probability=60
    )
    rep = await invite(gql, workspace)
    soon = await _idle(gql, rep, 28)  # idle 30 days on D0 + 2
    long_idle = await _idle(gql, rep, 45)
    active = await _idle(gql, rep, 10)
    locked = await _idle(gql, rep, 45, locked_at=days_before(D0, 50))
    recently_claimed = await _idle(gql, rep, 45)
    await Customer.filter(id=recently_claimed).update(owned_since=days_before(D0, 5))
    late_deal = await _idle(gql, rep, 45)
    pipeline = await default_pipeline(gql, workspace)
    late = max(
        (s for s in pipeline["stages"] if s["kind"] == "OPEN"), key=lambda s: s["probability"]
    )
    assert late["probability"] >= 60
    await create_opportunity(
        gql, workspace, next(gid for gid in [_gid(late_deal)]), stageId=late["id"]
    )
    comes_back_to_life = await _idle(gql, rep, 45)
    everyone = (soon, long_idle, active, locked, recently_claimed, late_deal, comes_back_to_life)

    # when: the night of D0
    first = await run_pool_rules(workspace_id, night(D0))

    # then: the two idle ones (and the one about to be followed up) are warned, none returned
    warned_ids = {soon, long_idle, comes_back_to_life}
    assert [(r.day, r.warned, r.returned) for r in first] == [(D0, 3, 0)]
    warnings = await Reminder.filter(customer_id__in=everyone, kind=ReminderKind.POOL_WARNING)
    assert {w.customer_id for w in warnings} == warned_ids
    assert {w.user_id for w in warnings} == {pk(rep.user_id)}
    morning = datetime.combine(D0, time(9), tzinfo=ZONE)
    assert {w.due_at for w in warnings} == {morning}
    assert all(w.status is ReminderStatus.PENDING for w in warnings)

    # when: the job runs again that night
    again = await run_pool_rules(workspace_id, night(D0) + timedelta(minutes=30))

    # then: nothing more
    assert again == []
    assert await Reminder.filter(customer_id__in=everyone).count() == 3

    # when: one is followed up the next day; the night of D0 + 1 runs, D0 + 2 is missed
    await Customer.filter(id=comes_back_to_life).update(
        last_activity_at=datetime.combine(D0 + timedelta(days=1), time(10), tzinfo=ZONE)
    )
    await run_pool_rules(workspace_id, night(D0 + timedelta(days=1)))
    assert all(owner is not None for owner in (await _owners(*everyone)).values())
    # (its warning, not yet delivered, is withdrawn with the return it announced)
    [withdrawn] = await Reminder.filter(customer_id=comes_back_to_life)
    assert withdrawn.status is ReminderStatus.CANCELLED

    # when: the night of D0 + 3 catches up D0 + 2, then runs D0 + 3
    caught_up = await run_pool_rules(workspace_id, night(D0 + timedelta(days=3)))

    # then: the warned ones still idle return, on D0 + 3 (3 days after their warning)
    assert [(r.day, r.returned) for r in caught_up] == [
        (D0 + timedelta(days=2), 0),
        (D0 + timedelta(days=3), 2),
    ]
    owners = await _owners(*everyone)
    assert {c for c, owner in owners.items() if owner is None} == {soon, long_idle}
    returned = await Customer.get(id=soon)
    assert returned.previous_owner_id == pk(rep.user_id)
    assert returned.pool_id is None  # the default pool
    assert returned.pooled_at == night(D0 + timedelta(days=3))
    assert returned.pool_warned_at is None
    assert (await Customer.get(id=comes_back_to_life)).pool_warned_at is None
    pending = await Reminder.filter(customer_id__in=[soon, long_idle])
    assert {r.status for r in pending} == {ReminderStatus.CANCELLED}
    history = await FieldChange.filter(entity_id__in=[soon, long_idle], source=ChangeSource.POOL)
    assert sorted((h.entity_id, h.old_value, h.new_value, h.user_id) for h in history) == sorted(
        [(soon, pk(rep.user_id), None, None), (long_idle, pk(rep.user_id), None, None)]
    )

    # when: D0 + 3 again, and the next night
    assert await run_pool_rules(workspace_id, night(D0 + timedelta(days=3))) == []
    later = await run_pool_rules(workspace_id, night(D0 + timedelta(days=4)))

    # then: once: nothing returns twice; one run row a day
    assert [(r.warned, r.returned) for r in later] == [(0, 0)]
    days = (
        await PoolRun.filter(workspace_id=workspace_id)
        .order_by("day")
        .values_list("day", flat=True)
    )
    assert days == [D0 + timedelta(days=n) for n in range(5)]


def _gid(customer_id: int) -> str:
    from tests.factories import gid

    return gid("Customer", customer_id)


async def test_a_warning_made_in_a_catch_up_still_gives_the_full_notice(
    gql: GraphQL, workspace: Account
):
    # given: a customer long idle, the job's first run after three missed nights
    workspace_id = await _workspace(workspace, no_activity_days=30, warn_days_before=2)
    await run_pool_rules(workspace_id, night(D0 - timedelta(days=4)))
    customer = await _idle(gql, workspace, 60)

    # when
    runs = await run_pool_rules(workspace_id, night(D0))

    # then: the missed days run in order; it is warned, not yet returned
    assert [(r.day, r.warned, r.returned) for r in runs] == [
        (D0 - timedelta(days=3), 1, 0),
        (D0 - timedelta(days=2), 0, 0),
        (D0 - timedelta(days=1), 0, 0),
        (D0, 0, 0),
    ]
    assert (await Customer.get(id=customer)).owner_id is not None

    # when: two nights later
    await run_pool_rules(workspace_id, night(D0 + timedelta(days=1)))
    await run_pool_rules(workspace_id, night(D0 + timedelta(days=2)))

    # then
    assert (await Customer.get(id=customer)).owner_id is None


async def test_the_open_deal_rule_and_the_pools_filters(gql: GraphQL, workspace: Account):
    # given: no open deal for 20 days returns companies scored under 50
    workspace_id = await _workspace(
        workspace, no_open_deal_days=20, kinds=["COMPANY"], score_max=50, warn_days_before=1
    )
    rep = await invite(gql, workspace)
    no_deals = await _idle(gql, rep, 1, score=10)
    person = await _idle(gql, rep, 1, score=10, kind="PERSON")
    high_score = await _idle(gql, rep, 1, score=80)
    unscored = await _idle(gql, rep, 1)
    with_open_deal = await _idle(gql, rep, 1, score=10)
    await create_opportunity(gql, rep, _gid(with_open_deal))
    lost_lately = await _idle(gql, rep, 1, score=10)
    deal = await create_opportunity(gql, rep, _gid(lost_lately))
    await Opportunity.filter(id=pk(deal["id"])).update(status="LOST", closed_at=days_before(D0, 10))

    # when
    await run_pool_rules(workspace_id, night(D0))
    await run_pool_rules(workspace_id, night(D0 + timedelta(days=1)))

    # then
    owners = await _owners(no_deals, person, high_score, unscored, with_open_deal, lost_lately)
    assert {c for c, owner in owners.items() if owner is None} == {no_deals}


async def test_the_won_deal_rule(gql: GraphQL, workspace: Account):
    # given: no won deal within 90 days returns a customer
    workspace_id = await _workspace(workspace, no_won_deal_days=90, warn_days_before=1)
    rep = await invite(gql, workspace)
    won_lately, won_long_ago = await _idle(gql, rep, 1), await _idle(gql, rep, 1)
    for customer, days in ((won_lately, 30), (won_long_ago, 120)):
        deal = await create_opportunity(gql, rep, _gid(customer))
        await Opportunity.filter(id=pk(deal["id"])).update(
            status="WON", closed_at=days_before(D0, days)
        )

    # when
    await run_pool_rules(workspace_id, night(D0))
    await run_pool_rules(workspace_id, night(D0 + timedelta(days=1)))

    # then
    assert await _owners(won_lately, won_long_ago) == {
        won_lately: pk(rep.user_id),
        won_long_ago: None,
    }


async def test_a_team_pool_governs_its_members_customers(gql: GraphQL, workspace: Account):
    # given: the default pool returns nothing; the east team's pool returns after 30 days
    from tests.pools.support import team_by_hand

    workspace_id = await _workspace(workspace)
    east_rep, other_rep = await invite(gql, workspace), await invite(gql, workspace)
    east = await team_by_hand(workspace, "东区", east_rep)
    pool = await CustomerPool.create(
        workspace_id=workspace_id,
        name="东区公海",
        team=east,
        no_activity_days=30,
        warn_days_before=1,
    )
    east_customer = await _idle(gql, east_rep, 60)
    other_customer = await _idle(gql, other_rep, 60)

    # when
    await run_pool_rules(workspace_id, night(D0))
    await run_pool_rules(workspace_id, night(D0 + timedelta(days=1)))

    # then
    assert (await Customer.get(id=east_customer)).pool_id == pool.id
    assert (await Customer.get(id=east_customer)).owner_id is None
    assert (await Customer.get(id=other_customer)).owner_id == pk(other_rep.user_id)


async def _statements(gql: GraphQL, admin: Account, customers: int, day: date) -> int:
    workspace_id = await _workspace(admin, no_activity_days=30, warn_days_before=1)
    for _ in range(customers):
        await _idle(gql, admin, 60)
    await run_pool_rules(workspace_id, night(day - timedelta(days=1)))
    with count_queries() as statements:
        runs = await run_pool_rules(workspace_id, night(day))
    assert [(r.warned, r.returned) for r in runs] == [(0, customers)]
    return len(statements)


async def test_a_batch_costs_the_same_statements_whatever_its_size(gql: GraphQL):
    # when: a night returning 2 customers, and one returning 12
    few = await _statements(gql, await gql.sign_up(), 2, D0)
    many = await _statements(gql, await gql.sign_up(), 12, D0)

    # then
    assert few == many


async def test_a_warning_is_dispatched_like_any_reminder_due(gql: GraphQL, workspace: Account):
    # given: a warning made on the night of D0
    workspace_id = await _workspace(workspace, no_activity_days=30, warn_days_before=2)
    customer = await _idle(gql, workspace, 60)
    await run_pool_rules(workspace_id, night(D0))

    # when: the dispatcher's claims at 09:00 that morning (the suite's others due too)
    ours = []
    while True:
        due = await claim_due_reminders(now=datetime.combine(D0, time(9), tzinfo=ZONE))
        ours += [r for r in due if r.customer_id == customer]
        if len(due) < CLAIM_BATCH:
            break

    # then: it is sent to the owner (announced on reminderDue by the dispatch job)
    assert [r.user_id for r in ours] == [pk(workspace.user_id)]
    warning = await Reminder.get(customer_id=customer)
    assert (warning.kind, warning.status) == (ReminderKind.POOL_WARNING, ReminderStatus.SENT)
    assert "公海" in (warning.note or "")
