"""transferCustomers: by ids or by filter, with or without open deals and pending reminders,
who may, the history it writes; a large one queued and run by a real worker, its progress
read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from arq import ArqRedis
from arq.constants import job_key_prefix

from crm.queues import DEFAULT_QUEUE, created_stamp, transfer_job_id
from domain.transfers import INLINE_LIMIT
from models import Customer, CustomerTransfer, FieldChange, Opportunity, Reminder
from models.enums import ChangedEntity, ChangeSource, ReminderStatus
from tests.documents import document
from tests.factories import (
    create_customer,
    create_opportunity,
    gid,
    invite,
    mutate,
    mutate_ok,
    pk,
    plan_follow_up,
    workspace_pk,
)
from tests.helpers import Account, GraphQL, problems
from tests.pools.support import team_by_hand


async def _customer_with_deal_and_follow_up(gql: GraphQL, owner: Account) -> tuple[str, str, str]:
    customer = await create_customer(gql, owner)
    deal = await create_opportunity(gql, owner, customer["id"])
    now = datetime.now(UTC)
    reminder = await plan_follow_up(gql, owner, customer["id"], now, now + timedelta(days=1))
    return customer["id"], deal["id"], reminder


async def test_an_admin_transfers_customers_with_their_deals_and_reminders(
    gql: GraphQL, workspace: Account
):
    # given
    rep = await invite(gql, workspace)
    customer, deal, reminder = await _customer_with_deal_and_follow_up(gql, workspace)
    other = await create_customer(gql, workspace)

    # when
    payload = await mutate_ok(
        gql,
        workspace,
        "transferCustomers",
        input={"ids": [customer, other["id"]], "toUserId": rep.user_id},
    )

    # then: done before the answer
    transfer = payload["transfer"]
    assert (transfer["status"], transfer["total"], transfer["done"]) == ("COMPLETED", 2, 2)
    assert transfer["transferred"] == 2
    me, them = pk(workspace.user_id), pk(rep.user_id)
    assert {c.owner_id for c in await Customer.filter(id__in=[pk(customer), pk(other["id"])])} == {
        them
    }
    assert (await Opportunity.get(id=pk(deal))).owner_id == them
    assert (await Reminder.get(id=pk(reminder))).user_id == them
    history = await FieldChange.filter(source=ChangeSource.TRANSFER, source_id=pk(transfer["id"]))
    assert sorted((h.entity, h.entity_id, h.old_value, h.new_value) for h in history) == sorted(
        [
            (ChangedEntity.CUSTOMER, pk(customer), me, them),
            (ChangedEntity.CUSTOMER, pk(other["id"]), me, them),
            (ChangedEntity.OPPORTUNITY, pk(deal), me, them),
        ]
    )
    assert {h.user_id for h in history} == {me}


async def test_deals_and_reminders_can_stay_behind(gql: GraphQL, workspace: Account):
    # given
    rep = await invite(gql, workspace)
    customer, deal, reminder = await _customer_with_deal_and_follow_up(gql, workspace)

    # when
    await mutate_ok(
        gql,
        workspace,
        "transferCustomers",
        input={
            "ids": [customer],
            "toUserId": rep.user_id,
            "withOpenDeals": False,
            "withPendingReminders": False,
        },
    )

    # then
    assert (await Customer.get(id=pk(customer))).owner_id == pk(rep.user_id)
    assert (await Opportunity.get(id=pk(deal))).owner_id == pk(workspace.user_id)
    stays = await Reminder.get(id=pk(reminder))
    assert (stays.user_id, stays.status) == (pk(workspace.user_id), ReminderStatus.PENDING)


async def test_a_filter_names_the_customers(gql: GraphQL, workspace: Account):
    # given: two reps' customers
    first, second = await invite(gql, workspace), await invite(gql, workspace)
    theirs = [await create_customer(gql, first) for _ in range(3)]
    kept = await create_customer(gql, second)

    # when: the first rep's customers go to the second
    payload = await mutate_ok(
        gql,
        workspace,
        "transferCustomers",
        input={"filter": {"ownerId": first.user_id}, "toUserId": second.user_id},
    )

    # then
    assert payload["transfer"]["total"] == 3
    owners = await Customer.filter(id__in=[pk(c["id"]) for c in [*theirs, kept]]).values_list(
        "owner_id", flat=True
    )
    assert set(owners) == {pk(second.user_id)}


async def test_who_may_transfer(gql: GraphQL, workspace: Account):
    # given
    rep, colleague = await invite(gql, workspace), await invite(gql, workspace)
    own = await create_customer(gql, rep)
    admins = await create_customer(gql, workspace)

    # when
    handing_on = await mutate(
        gql, rep, "transferCustomers", input={"ids": [own["id"]], "toUserId": colleague.user_id}
    )
    unseen = await mutate(
        gql, rep, "transferCustomers", input={"ids": [admins["id"]], "toUserId": rep.user_id}
    )
    nobody = await mutate(
        gql,
        workspace,
        "transferCustomers",
        input={"ids": [admins["id"]], "toUserId": gid("User", 999_999_999)},
    )
    both = await mutate(
        gql,
        workspace,
        "transferCustomers",
        input={"ids": [admins["id"]], "filter": {}, "toUserId": rep.user_id},
    )

    # then
    assert problems(handing_on) == [(None, "FORBIDDEN")]
    assert problems(unseen) == [("input.ids", "NOT_FOUND")]
    assert problems(nobody) == [("input.toUserId", "NOT_FOUND")]
    assert problems(both) == [("input", "INVALID")]
    assert (await Customer.get(id=pk(own["id"]))).owner_id == pk(rep.user_id)


async def test_a_manager_transfers_within_their_team_only(gql: GraphQL, workspace: Account):
    # given: a manager over two reps; a third rep outside the team
    manager = await invite(gql, workspace, "MANAGER")
    first, second, outsider = [await invite(gql, workspace) for _ in range(3)]
    await team_by_hand(workspace, "销售一部", manager, first, second)
    customer = await create_customer(gql, first)

    # when
    outside = await mutate(
        gql,
        manager,
        "transferCustomers",
        input={"ids": [customer["id"]], "toUserId": outsider.user_id},
    )
    inside = await mutate(
        gql,
        manager,
        "transferCustomers",
        input={"ids": [customer["id"]], "toUserId": second.user_id},
    )

    # then
    assert problems(outside) == [(None, "FORBIDDEN")]
    assert problems(inside) == []
    assert (await Customer.get(id=pk(customer["id"]))).owner_id == pk(second.user_id)


async def test_a_large_transfer_runs_on_a_worker_and_reports_its_progress(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str, run_worker
):
    # given: more customers than are moved inline (written in bulk, past the API)
    rep = await invite(gql, workspace)
    workspace_id = await workspace_pk(workspace)
    count = INLINE_LIMIT + 20
    await Customer.bulk_create(
        [
            Customer(workspace_id=workspace_id, name=f"批量 {i}", owner_id=pk(workspace.user_id))
            for i in range(count)
        ]
    )
    ids = await Customer.filter(workspace_id=workspace_id).values_list("id", flat=True)

    # when
    payload = await mutate_ok(
        gql,
        workspace,
        "transferCustomers",
        input={"ids": [gid("Customer", i) for i in ids], "toUserId": rep.user_id},
    )

    # then: queued, nothing moved yet
    transfer = payload["transfer"]
    assert (transfer["status"], transfer["total"], transfer["done"]) == ("QUEUED", count, 0)
    stored = await CustomerTransfer.get(id=pk(transfer["id"]))
    nudge = transfer_job_id(stored.id, stored.created_at)
    assert await arq_redis.zscore(DEFAULT_QUEUE, nudge) is not None
    # (the nudge went to the real queue; this test's worker reads its own)
    await arq_redis.zrem(DEFAULT_QUEUE, nudge)
    await arq_redis.delete(job_key_prefix + nudge)

    # when: a worker runs it
    await arq_redis.enqueue_job(
        "run_customer_transfer",
        stored.id,
        created_stamp(stored.created_at),
        _queue_name=queue_name,
    )
    worker = await run_worker()

    # then
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    progress = await gql.execute(
        document("customerTransfer"), {"id": transfer["id"]}, workspace.token
    )
    read = progress.ok()["customerTransfer"]
    assert (read["status"], read["done"], read["transferred"]) == ("COMPLETED", count, count)
    assert set(await Customer.filter(id__in=ids).values_list("owner_id", flat=True)) == {
        pk(rep.user_id)
    }
    # and another user does not read it
    other = await gql.execute(document("customerTransfer"), {"id": transfer["id"]}, rep.token)
    assert other.ok()["customerTransfer"] is None
