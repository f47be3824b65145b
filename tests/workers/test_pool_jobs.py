"""The pool's nightly job on a real arq worker: it runs each workspace's day once, however
often it is queued, and is scheduled hourly on one worker."""

from __future__ import annotations

from copy import copy
from datetime import UTC, datetime, timedelta

from arq import ArqRedis
from arq.worker import Worker

from models import Customer, CustomerPool, PoolRun, Reminder
from models.enums import ReminderKind
from tests.factories import create_customer, pk, workspace_pk
from tests.helpers import Account, GraphQL
from workers.jobs import run_pool_rules_everywhere
from workers.settings import DefaultWorker


async def test_the_worker_warns_once_however_often_the_job_runs(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str
):
    # given: 30 idle days return a customer; one has been idle 60 days
    workspace_id = await workspace_pk(workspace)
    await CustomerPool.create(
        workspace_id=workspace_id,
        name="公海",
        is_default=True,
        no_activity_days=30,
        warn_days_before=2,
    )
    customer = await create_customer(gql, workspace)
    long_ago = datetime.now(UTC) - timedelta(days=60)
    await Customer.filter(id=pk(customer["id"])).update(
        owned_since=long_ago, last_activity_at=long_ago
    )

    # when: the job is queued twice and a worker runs both
    for _ in range(2):
        await arq_redis.enqueue_job("run_pool_rules_everywhere", _queue_name=queue_name)
    worker = Worker(
        functions=[run_pool_rules_everywhere],
        redis_pool=arq_redis,
        queue_name=queue_name,
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
        max_jobs=1,
    )
    try:
        await worker.main()
    finally:
        await worker.close()

    # then: one day run, one warning, the customer still owned
    assert (worker.jobs_complete, worker.jobs_failed) == (2, 0)
    assert await PoolRun.filter(workspace_id=workspace_id).count() == 1
    warnings = await Reminder.filter(customer_id=pk(customer["id"]), kind=ReminderKind.POOL_WARNING)
    assert [w.user_id for w in warnings] == [pk(workspace.user_id)]
    assert (await Customer.get(id=pk(customer["id"]))).owner_id == pk(workspace.user_id)


def test_the_job_is_scheduled_hourly_on_one_worker():
    # given
    (job,) = [j for j in DefaultWorker.cron_jobs if j.name.endswith("run_pool_rules_everywhere")]

    # when (on a copy: the settings' own job keeps its schedule)
    job = copy(job)
    job.calculate_next(datetime(2030, 1, 1, 12, 30, tzinfo=UTC))

    # then
    assert job.next_run.replace(microsecond=0) == datetime(2030, 1, 1, 13, 5, tzinfo=UTC)
    assert job.unique
