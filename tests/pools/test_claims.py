"""Claiming, releasing and locking pooled customers through the API: who may, the pool's
limits, the previous owner's cooldown, history, and 20 reps claiming one customer at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from models import Customer, FieldChange, Reminder
from models.enums import ChangeSource, ReminderStatus
from tests.factories import (
    create_customer,
    force_customer_columns,
    gid,
    invite,
    mutate,
    mutate_ok,
    pk,
    plan_follow_up,
)
from tests.helpers import Account, GraphQL, problems
from tests.pools.support import pool_of, pooled_customer, team_by_hand


async def _default_pool_id(gql: GraphQL, account: Account) -> str:
    result = await gql.execute("{ pools { id isDefault } }", token=account.token)
    return next(p["id"] for p in result.ok()["pools"] if p["isDefault"])


async def _set_default_rules(gql: GraphQL, admin: Account, **rules: object) -> None:
    await mutate_ok(gql, admin, "updatePool", id=await _default_pool_id(gql, admin), input=rules)


async def _owner_history(customer_id: str) -> list[tuple]:
    rows = await FieldChange.filter(entity_id=pk(customer_id)).order_by("id")
    return [(r.field, r.old_value, r.new_value, r.source, r.user_id) for r in rows]


async def test_release_then_claim_moves_the_owner_and_writes_history(
    gql: GraphQL, workspace: Account
):
    # given: the admin's customer with a pending follow-up, and a rep
    rep = await invite(gql, workspace)
    customer = await create_customer(gql, workspace)
    now = datetime.now(UTC)
    reminder = await plan_follow_up(gql, workspace, customer["id"], now, now + timedelta(days=2))

    # when
    released = await mutate_ok(
        gql, workspace, "releaseCustomer", id=customer["id"], reason="客户预算取消"
    )
    claimed = await mutate_ok(gql, rep, "claimCustomer", id=customer["id"])

    # then
    assert released["customer"]["owner"] is None
    assert released["customer"]["pool"]["isDefault"]
    assert claimed["customer"]["owner"] == {"id": rep.user_id}
    assert claimed["customer"]["pool"] is None
    stored = await Customer.get(id=pk(customer["id"]))
    assert stored.previous_owner_id == pk(workspace.user_id)
    assert stored.owned_since is not None and stored.pooled_at is not None
    assert (await Reminder.get(id=pk(reminder))).status is ReminderStatus.CANCELLED
    admin, me = pk(workspace.user_id), pk(rep.user_id)
    assert [h for h in await _owner_history(customer["id"]) if h[3] is ChangeSource.POOL] == [
        ("owner", admin, None, ChangeSource.POOL, admin),
        ("poolReason", None, "客户预算取消", ChangeSource.POOL, admin),
        ("owner", None, me, ChangeSource.POOL, me),
    ]


async def test_an_owned_customer_cannot_be_claimed(gql: GraphQL, workspace: Account):
    # given
    rep = await invite(gql, workspace)
    manager = await invite(gql, workspace, "MANAGER")
    customer = await create_customer(gql, workspace)
    pooled = await pooled_customer(gql, workspace)
    await mutate_ok(gql, rep, "claimCustomer", id=pooled["id"])

    # when: the admin's own, a colleague's (seen by the admin), one the rep does not see
    own = await mutate(gql, workspace, "claimCustomer", id=customer["id"])
    taken = await mutate(gql, workspace, "claimCustomer", id=pooled["id"])
    unseen = await mutate(gql, manager, "claimCustomer", id=customer["id"])

    # then
    assert problems(own) == [("id", "CONFLICT")]
    assert problems(taken) == [("id", "CONFLICT")]
    assert problems(unseen) == [("id", "NOT_FOUND")]


async def test_a_rep_cannot_claim_from_another_teams_pool(gql: GraphQL, workspace: Account):
    # given: a customer released by a west rep into the west team's pool
    east_rep, west_rep = await invite(gql, workspace), await invite(gql, workspace)
    await team_by_hand(workspace, "东区", east_rep)
    west = await team_by_hand(workspace, "西区", west_rep)
    west_pool = await pool_of(gql, workspace, name="西区公海", teamId=gid("Team", west.id))
    customer = await create_customer(gql, west_rep)
    released = await mutate_ok(gql, west_rep, "releaseCustomer", id=customer["id"])
    assert released["customer"]["pool"]["id"] == west_pool["id"]

    # when
    east_claim = await mutate(gql, east_rep, "claimCustomer", id=customer["id"])

    # then: the east rep does not see it; the west rep's cooldown keeps them off it
    assert problems(east_claim) == [("id", "NOT_FOUND")]
    west_claim = await mutate(gql, west_rep, "claimCustomer", id=customer["id"])
    assert problems(west_claim) == [(None, "FORBIDDEN")]


async def test_the_previous_owner_claims_back_only_after_the_cooldown(
    gql: GraphQL, workspace: Account
):
    # given: the rep released it 6 days ago; the cooldown is 7 days
    rep = await invite(gql, workspace)
    customer = await create_customer(gql, rep)
    await mutate_ok(gql, rep, "releaseCustomer", id=customer["id"])
    await force_customer_columns(customer["id"], pooled_at=datetime.now(UTC) - timedelta(days=6))

    # when
    early = await mutate(gql, rep, "claimCustomer", id=customer["id"])
    await force_customer_columns(
        customer["id"], pooled_at=datetime.now(UTC) - timedelta(days=7, minutes=1)
    )
    later = await mutate(gql, rep, "claimCustomer", id=customer["id"])

    # then
    assert problems(early) == [(None, "FORBIDDEN")]
    assert problems(later) == []


async def test_a_rep_holds_at_most_the_pools_limit(gql: GraphQL, workspace: Account):
    # given: a rep holding one customer, the pool allowing two
    await _set_default_rules(gql, workspace, maxCustomersPerRep=2)
    rep = await invite(gql, workspace)
    await create_customer(gql, rep)
    first, second = await pooled_customer(gql, workspace), await pooled_customer(gql, workspace)

    # when
    ok = await mutate(gql, rep, "claimCustomer", id=first["id"])
    over = await mutate(gql, rep, "claimCustomer", id=second["id"])

    # then
    assert problems(ok) == []
    assert problems(over) == [(None, "LIMIT")]


async def test_claims_a_day_are_counted_from_the_history(gql: GraphQL, workspace: Account):
    # given: two claims a day; the rep claimed one, released it (not counted back), and one more
    await _set_default_rules(gql, workspace, maxClaimsPerDay=2, claimCooldownDays=0)
    rep = await invite(gql, workspace)
    customers = [await pooled_customer(gql, workspace) for _ in range(3)]
    await mutate_ok(gql, rep, "claimCustomer", id=customers[0]["id"])
    await mutate_ok(gql, rep, "releaseCustomer", id=customers[0]["id"])
    await mutate_ok(gql, rep, "claimCustomer", id=customers[1]["id"])

    # when
    third = await mutate(gql, rep, "claimCustomer", id=customers[2]["id"])
    # … and yesterday's claims no longer count
    await FieldChange.filter(user_id=pk(rep.user_id)).update(
        changed_at=datetime.now(UTC) - timedelta(days=2)
    )
    next_day = await mutate(gql, rep, "claimCustomer", id=customers[2]["id"])

    # then
    assert problems(third) == [(None, "LIMIT")]
    assert problems(next_day) == []


async def test_locks_are_limited_per_rep_and_only_the_owners_side_locks(
    gql: GraphQL, workspace: Account
):
    # given
    await _set_default_rules(gql, workspace, maxLocksPerRep=1)
    rep, other = await invite(gql, workspace), await invite(gql, workspace)
    first, second = await create_customer(gql, rep), await create_customer(gql, rep)

    # when
    locked = await mutate_ok(gql, rep, "lockCustomer", id=first["id"])
    over = await mutate(gql, rep, "lockCustomer", id=second["id"])
    not_theirs = await mutate(gql, other, "lockCustomer", id=first["id"])
    unlocked = await mutate_ok(gql, rep, "unlockCustomer", id=first["id"])
    then_second = await mutate(gql, rep, "lockCustomer", id=second["id"])

    # then
    assert locked["customer"]["lockedAt"] is not None
    assert problems(over) == [(None, "LIMIT")]
    assert problems(not_theirs) == [("id", "NOT_FOUND")]
    assert unlocked["customer"]["lockedAt"] is None
    assert problems(then_second) == []


async def test_a_rep_cannot_release_a_colleagues_customer_they_do_not_see(
    gql: GraphQL, workspace: Account
):
    # given
    rep = await invite(gql, workspace)
    customer = await create_customer(gql, workspace)

    # when
    released = await mutate(gql, rep, "releaseCustomer", id=customer["id"], reason="x")

    # then
    assert problems(released) == [("id", "NOT_FOUND")]
    assert (await Customer.get(id=pk(customer["id"]))).owner_id == pk(workspace.user_id)


async def test_twenty_reps_claiming_one_customer_at_once_make_one_owner(
    gql: GraphQL, workspace: Account
):
    # given
    reps = [await invite(gql, workspace) for _ in range(20)]
    customer = await pooled_customer(gql, workspace)

    # when: all at once, over HTTP
    payloads = await asyncio.gather(
        *(mutate(gql, rep, "claimCustomer", id=customer["id"]) for rep in reps)
    )

    # then: one winner, nineteen CONFLICTs, one history row
    winners = [rep for rep, p in zip(reps, payloads, strict=True) if p["errors"] == []]
    assert len(winners) == 1
    assert sorted(problems(p) for p in payloads if p["errors"]) == [[("id", "CONFLICT")]] * 19
    stored = await Customer.get(id=pk(customer["id"]))
    assert stored.owner_id == pk(winners[0].user_id)
    claims = await FieldChange.filter(
        entity_id=stored.id, field="owner", source=ChangeSource.POOL, new_value__isnull=False
    )
    assert len(claims) == 1


async def test_a_reps_claims_at_once_still_keep_to_the_limit(gql: GraphQL, workspace: Account):
    # given: a rep allowed one more customer, five pooled ones
    await _set_default_rules(gql, workspace, maxCustomersPerRep=1)
    rep = await invite(gql, workspace)
    pooled = [await pooled_customer(gql, workspace) for _ in range(5)]

    # when: the rep claims all five at once
    payloads = await asyncio.gather(
        *(mutate(gql, rep, "claimCustomer", id=customer["id"]) for customer in pooled)
    )

    # then: one claim, four refused at the limit
    assert sorted(problems(p) for p in payloads) == [[]] + [[(None, "LIMIT")]] * 4
    assert await Customer.filter(owner_id=pk(rep.user_id)).count() == 1
