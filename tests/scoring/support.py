"""Setting the scene for score tests through the public API, and handling the score jobs
the API and the cron leave on the default queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from arq import ArqRedis
from arq.worker import Worker

from crm.queues import DEFAULT_QUEUE, scores_job_prefix
from models import Workspace
from tests.factories import (
    create_contact,
    create_customer,
    create_opportunity,
    default_pipeline,
    log_activity,
)
from tests.helpers import Account, GraphQL


async def fresh_customer(gql: GraphQL, account: Account, name: str = "新客户") -> str:
    """A customer with a name and nothing else; returns its global id."""
    return (await create_customer(gql, account, name=name))["id"]


async def active_customer(
    gql: GraphQL, account: Account, now: datetime, name: str = "活跃客户"
) -> str:
    """A customer with a full profile, two activities (the last three days before `now`),
    an open deal at Contract (80%) and a won deal; returns its global id."""
    customer = await create_customer(
        gql,
        account,
        name=name,
        phone="+86 138-0013-8000",
        email="buyer@example.cn",
        ownerId=account.user_id,
    )
    customer_id = customer["id"]
    await create_contact(gql, account, customer_id, name="王经理")
    for days in (10, 3):
        moment = now - timedelta(days=days, hours=2)
        await log_activity(gql, account, customer_id, occurredAt=moment.isoformat())
    stages = (await default_pipeline(gql, account))["by_name"]
    await create_opportunity(gql, account, customer_id, stageId=stages["Contract"]["id"])
    await create_opportunity(gql, account, customer_id, stageId=stages["Qualification"]["id"])
    await create_opportunity(gql, account, customer_id, stageId=stages["Won"]["id"])
    return customer_id


ACTIVE_BREAKDOWN = [
    {"key": "recency", "label": "Recency", "points": 28.0, "reason": "Last contact 3 days ago"},
    {
        "key": "frequency",
        "label": "Frequency",
        "points": 5.0,
        "reason": "2 activities in the last 90 days",
    },
    {
        "key": "pipeline",
        "label": "Pipeline",
        "points": 26.0,
        "reason": "2 open deals, the likeliest at Contract (80%); 1 deal won in the last 365 days",
    },
    {
        "key": "profile",
        "label": "Profile",
        "points": 15.0,
        "reason": "Complete: phone, email, contact person and owner",
    },
]
ACTIVE_SCORE = 74.0


async def score_jobs(arq_redis: ArqRedis, workspace_id: int) -> list[str]:
    """The arq ids of the workspace's score jobs waiting on the default queue."""
    created = await Workspace.get(id=workspace_id).values_list("created_at", flat=True)
    prefix = scores_job_prefix(workspace_id, created)
    waiting = [job.decode() for job in await arq_redis.zrange(DEFAULT_QUEUE, 0, -1)]
    return sorted(job for job in waiting if job.startswith(prefix))


async def run_score_jobs(
    arq_redis: ArqRedis, queue_name: str, jobs: list[str], run_worker: Any
) -> Worker:
    """Runs the very jobs the API or the cron queued on a real arq worker (the default
    worker's functions). They move to a queue of this test first: the default queue may be
    shared with other test sessions (one Redis server)."""
    for job in jobs:
        score = await arq_redis.zscore(DEFAULT_QUEUE, job)
        assert score is not None, f"{job} is not queued"
        await arq_redis.zrem(DEFAULT_QUEUE, job)
        await arq_redis.zadd(queue_name, {job: score})
    return await run_worker()


async def forget_our_score_jobs(arq_redis: ArqRedis, before: set[bytes]) -> None:
    """Takes the score jobs of this database's workspaces that are not in `before` (the
    default queue's jobs earlier) off the default queue, so no worker runs them later."""
    added = [
        job.decode()
        for job in await arq_redis.zrange(DEFAULT_QUEUE, 0, -1)
        if job not in before and job.startswith(b"scores:")
    ]
    # "scores:<workspace>:<created>:…": ours only if our database has that workspace, created then.
    numbers = {int(job.split(":")[1]) for job in added}
    workspaces = await Workspace.filter(id__in=numbers).values_list("id", "created_at")
    ours = tuple(scores_job_prefix(number, created) for number, created in workspaces)
    for job in added:
        if ours and job.startswith(ours):
            await arq_redis.zrem(DEFAULT_QUEUE, job)
            await arq_redis.delete(f"arq:job:{job}", f"arq:in-progress:{job}")
