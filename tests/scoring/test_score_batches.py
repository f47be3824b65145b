"""Scoring customers in the database: facts gathered set-based, scores written in bulk."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.scoring import score_customers, score_workspace
from models import Customer, Opportunity
from tests.factories import create_customer, log_activity, pk, viewer_of
from tests.helpers import Account, GraphQL, count_queries
from tests.scoring.support import ACTIVE_BREAKDOWN, ACTIVE_SCORE, active_customer, fresh_customer


def _now() -> datetime:
    # Pinned for the test, a little after the deals the API closes at the real time.
    return (datetime.now(UTC) + timedelta(minutes=5)).replace(microsecond=0)


async def test_an_active_customer_outscores_a_fresh_one(gql: GraphQL, workspace: Account):
    # given
    now = _now()
    viewer = await viewer_of(workspace)
    fresh = pk(await fresh_customer(gql, workspace))
    active = pk(await active_customer(gql, workspace, now))

    # when
    scored = await score_customers(viewer.workspace_id, [fresh, active], now)

    # then
    assert scored == 2
    fresh_row, active_row = await Customer.filter(id__in=[fresh, active]).order_by("id")
    assert active_row.score == ACTIVE_SCORE
    assert active_row.score_breakdown == ACTIVE_BREAKDOWN
    assert active_row.scored_at == now
    # A customer is created owned by whoever created it: three points for the owner only.
    assert fresh_row.score == 3.0
    assert [c["reason"] for c in fresh_row.score_breakdown] == [
        "No activity logged yet",
        "No activities in the last 90 days",
        "No open deals; no deal won in the last 365 days",
        "Has owner; missing phone, email and contact person",
    ]
    assert fresh_row.scored_at == now


async def test_activities_and_wins_outside_their_windows_do_not_count(
    gql: GraphQL, workspace: Account
):
    # given: an activity 91 days before now and one logged after it; a deal won 400 days ago
    now = _now()
    viewer = await viewer_of(workspace)
    customer_id = await active_customer(gql, workspace, now)
    await log_activity(
        gql, workspace, customer_id, occurredAt=(now - timedelta(days=91)).isoformat()
    )
    await log_activity(
        gql, workspace, customer_id, occurredAt=(now + timedelta(hours=1)).isoformat()
    )
    await Opportunity.filter(customer_id=pk(customer_id), status="WON").update(
        closed_at=now - timedelta(days=400)
    )

    # when
    await score_customers(viewer.workspace_id, [pk(customer_id)], now)

    # then
    stored = await Customer.get(id=pk(customer_id))
    reasons = {c["key"]: c["reason"] for c in stored.score_breakdown}
    assert reasons["frequency"] == "2 activities in the last 90 days"
    assert reasons["pipeline"].endswith("; no deal won in the last 365 days")


async def test_rescoring_at_the_same_instant_writes_the_same_and_leaves_updated_at(
    gql: GraphQL, workspace: Account
):
    # given
    now = _now()
    viewer = await viewer_of(workspace)
    customer = pk(await active_customer(gql, workspace, now))
    updated_at = (await Customer.get(id=customer)).updated_at
    await score_customers(viewer.workspace_id, [customer], now)
    first = await Customer.get(id=customer)

    # when
    await score_workspace(viewer.workspace_id, now)

    # then
    again = await Customer.get(id=customer)
    assert (again.score, again.score_breakdown, again.scored_at) == (
        first.score,
        first.score_breakdown,
        first.scored_at,
    )
    # A score is computed, not edited: syncing clients are not sent every customer nightly.
    assert again.updated_at == updated_at


async def test_another_workspaces_customers_are_left_alone(gql: GraphQL, workspace: Account):
    # given
    now = _now()
    viewer = await viewer_of(workspace)
    other = await gql.sign_up(workspace_name="别家公司")
    theirs = pk(await fresh_customer(gql, other))
    ours = pk(await fresh_customer(gql, workspace))

    # when: asked for both, by our workspace
    scored = await score_customers(viewer.workspace_id, [theirs, ours], now)

    # then
    assert scored == 1
    assert (await Customer.get(id=theirs)).scored_at is None
    assert (await Customer.get(id=ours)).scored_at == now


@pytest.mark.parametrize("size", [3, 30])
async def test_a_batch_costs_the_same_statements_whatever_its_size(
    gql: GraphQL, workspace: Account, size: int
):
    # given: customers with activities, contacts and deals
    now = _now()
    viewer = await viewer_of(workspace)
    ids = [pk(await active_customer(gql, workspace, now, name=f"客户 {i}")) for i in range(2)]
    for i in range(size - 2):
        customer = await create_customer(gql, workspace, name=f"客户 {i}", phone=f"139{i:08d}")
        await log_activity(gql, workspace, customer["id"])
        ids.append(pk(customer["id"]))

    # when
    with count_queries() as statements:
        scored = await score_customers(viewer.workspace_id, ids, now)

    # then: the customers, recent activities, contacts, open deals, recent wins; the update
    assert scored == size
    assert len(statements) == 6, statements
    scores = await Customer.filter(id__in=ids).values_list("score", flat=True)
    assert all(score is not None and 0 < score <= 100 for score in scores)


async def test_a_workspace_is_scored_in_pages_by_id(gql: GraphQL, workspace: Account):
    # given: seven customers, scored three at a time
    now = _now()
    viewer = await viewer_of(workspace)
    ids = [pk(await fresh_customer(gql, workspace, name=f"客户 {i}")) for i in range(7)]

    # when
    with count_queries() as statements:
        scored = await score_workspace(viewer.workspace_id, now, batch_size=3)

    # then: three pages (3, 3, 1), six statements each
    assert scored == 7
    assert len(statements) == 3 * 6, statements
    stamps = await Customer.filter(id__in=ids).values_list("scored_at", flat=True)
    assert stamps == [now] * 7
