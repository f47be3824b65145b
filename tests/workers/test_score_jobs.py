"""Score jobs on a real arq worker: the nightly run over every workspace, and job ids that
collapse repeated requests without ever swallowing a later one."""

from collections.abc import AsyncIterator
from copy import copy
from datetime import UTC, datetime

import pytest
from arq import ArqRedis
from arq.constants import in_progress_key_prefix

from crm.queues import DEFAULT_QUEUE, SCORE_SLOTS, created_stamp, enqueue_scores, scores_job_id
from models import Customer, Workspace
from tests.factories import pk, viewer_of
from tests.helpers import Account, GraphQL
from tests.scoring.support import (
    ACTIVE_SCORE,
    active_customer,
    forget_our_score_jobs,
    fresh_customer,
    run_score_jobs,
    score_jobs,
)
from workers.jobs import recompute_scores, score_all_workspaces
from workers.settings import DefaultWorker


@pytest.fixture(autouse=True)
async def _forget_our_score_jobs(arq_redis: ArqRedis) -> AsyncIterator[None]:
    before = set(await arq_redis.zrange(DEFAULT_QUEUE, 0, -1))
    yield
    await forget_our_score_jobs(arq_redis, before)


async def _workspace(account: Account) -> tuple[int, datetime]:
    viewer = await viewer_of(account)
    created = await Workspace.get(id=viewer.workspace_id).values_list("created_at", flat=True)
    return viewer.workspace_id, created


async def test_the_nightly_run_scores_every_workspace(
    gql: GraphQL, arq_redis: ArqRedis, queue_name: str, run_worker
):
    # given: two workspaces, neither scored
    first, second = await gql.sign_up(), await gql.sign_up(workspace_name="第二家")
    active = await active_customer(gql, first, datetime.now(UTC))
    fresh = await fresh_customer(gql, second)
    workspaces = [(await viewer_of(account)).workspace_id for account in (first, second)]

    # when: the cron runs, then a worker takes the jobs it queued for these two
    queued = await score_all_workspaces({"redis": arq_redis})
    jobs = [job for workspace in workspaces for job in await score_jobs(arq_redis, workspace)]
    worker = await run_score_jobs(arq_redis, queue_name, jobs, run_worker)

    # then: one job per workspace, each scoring its customers
    assert queued >= 2
    assert len(jobs) == 2
    assert (worker.jobs_complete, worker.jobs_failed) == (2, 0)
    assert (await Customer.get(id=pk(active))).score == ACTIVE_SCORE
    assert (await Customer.get(id=pk(fresh))).scored_at is not None


def test_the_nightly_run_is_scheduled_at_three_utc():
    # given
    (nightly,) = [
        job for job in DefaultWorker.cron_jobs if job.name.endswith("score_all_workspaces")
    ]

    # when (on a copy: the settings' own job keeps its schedule)
    nightly = copy(nightly)
    nightly.calculate_next(datetime(2030, 1, 1, 12, 0, tzinfo=UTC))

    # then: once a day, and one worker only runs it
    assert nightly.next_run.replace(microsecond=0) == datetime(2030, 1, 2, 3, 0, tzinfo=UTC)
    assert nightly.unique


async def test_a_job_for_another_databases_workspace_is_ignored(gql: GraphQL, workspace: Account):
    # given: a job naming our workspace's number, made in a database where it began earlier
    workspace_id, created = await _workspace(workspace)
    customer = pk(await fresh_customer(gql, workspace))

    # when
    result = await recompute_scores({}, workspace_id, [customer], created_stamp(created) - 1)

    # then
    assert result is None
    assert (await Customer.get(id=customer)).scored_at is None
    assert await recompute_scores({}, workspace_id, [customer], created_stamp(created)) == 1


async def test_a_request_while_its_job_waits_collapses_and_one_while_it_runs_does_not(
    workspace: Account, arq_redis: ArqRedis
):
    # given
    workspace_id, created = await _workspace(workspace)

    async def request() -> str:
        return await enqueue_scores(arq_redis, workspace_id, created, [3, 1, 2])

    def slot(number: int) -> str:
        return scores_job_id(workspace_id, created, [1, 2, 3], number)

    async def starts(job_id: str) -> None:
        # What a worker writes as it starts the job (and deletes once it has finished).
        await arq_redis.psetex(in_progress_key_prefix + job_id, 60_000, b"1")

    try:
        # when / then: a second request while the first waits is the same job
        assert await request() == slot(0)
        assert await request() == slot(0)
        assert await score_jobs(arq_redis, workspace_id) == [slot(0)]

        # once it runs, a request may not have been seen by it: the next slot, then that one
        await starts(slot(0))
        assert await request() == slot(1)
        assert await request() == slot(1)

        # every slot running: a job of its own each time
        for number in range(1, SCORE_SLOTS):
            await starts(slot(number))
        own = await request()
        assert own not in {slot(number) for number in range(SCORE_SLOTS)}
        assert own.startswith(slot(0).rsplit(":", 1)[0])
        assert own in await score_jobs(arq_redis, workspace_id)
    finally:
        for number in range(SCORE_SLOTS):
            await arq_redis.delete(in_progress_key_prefix + slot(number))


async def test_a_finished_job_frees_its_id_for_the_next_request(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str, run_worker
):
    # given: a request run to its end
    workspace_id, created = await _workspace(workspace)
    customer = pk(await fresh_customer(gql, workspace))
    job_id = await enqueue_scores(arq_redis, workspace_id, created, [customer])
    first = await run_score_jobs(arq_redis, queue_name, [job_id], run_worker)
    scored_at = (await Customer.get(id=customer)).scored_at

    # when: the same request again
    again = await enqueue_scores(arq_redis, workspace_id, created, [customer])
    second = await run_score_jobs(arq_redis, queue_name, [again], run_worker)

    # then: it was queued (not taken for the finished one) and ran
    assert again == job_id
    assert (first.jobs_complete, second.jobs_complete) == (1, 1)
    assert (await Customer.get(id=customer)).scored_at > scored_at
