"""Starting imports through the API as clients do, and handling the nudges it leaves in Redis."""

from __future__ import annotations

import json
from typing import Any

import httpx
from arq import ArqRedis
from arq.worker import Worker, func

from crm.queues import IMPORTS_QUEUE, import_job_id
from models import ImportJob
from tests.helpers import GraphQL, Result
from workers.imports import run_import_job

JOB_FIELDS = """
  id kind format mode status totalRows processedRows createdCount updatedCount skippedCount
  failedCount startedAt finishedAt errorReportUrl
"""
START_IMPORT = f"""
mutation Start($input: StartImportInput!) {{
  startImport(input: $input) {{
    importJob {{ {JOB_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""
CANCEL_IMPORT = f"""
mutation Cancel($id: ID!) {{
  cancelImport(id: $id) {{ importJob {{ {JOB_FIELDS} }} errors {{ field message code }} }}
}}
"""
IMPORT_JOB = f"""
query Job($id: ID!) {{
  importJob(id: $id) {{ {JOB_FIELDS} errors(first: 50) {{ edges {{ node {{ row field message }} }} }} }}
}}
"""
IMPORT_JOBS = "{ importJobs(first: 10) { totalCount edges { node { id } } } }"
PREFLIGHT = {"Apollo-Require-Preflight": "true"}


async def start_import(gql: GraphQL, token: str, **input: Any) -> dict[str, Any]:
    """The startImport payload for a JSON request."""
    result = await gql.execute(START_IMPORT, {"input": input}, token)
    return result.ok()["startImport"]


async def upload(
    client: httpx.AsyncClient,
    token: str | None,
    content: bytes,
    file_name: str,
    *,
    headers: dict[str, str] | None = None,
    **input: Any,
) -> httpx.Response:
    """A startImport with a file, as the GraphQL multipart request spec lays it out:
    `operations` (the file variable null), `map` (form field → variable path), the file."""
    operations = {"query": START_IMPORT, "variables": {"input": {**input, "file": None}}}
    sent_headers = dict(PREFLIGHT if headers is None else headers)
    if token is not None:
        sent_headers["Authorization"] = f"Bearer {token}"
    return await client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (file_name, content, "application/octet-stream")},
        headers=sent_headers,
    )


def payload_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    return Result(data=body.get("data"), errors=body.get("errors") or []).ok()["startImport"]


async def job_count(gql: GraphQL, token: str) -> int:
    return (await gql.execute(IMPORT_JOBS, token=token)).ok()["importJobs"]["totalCount"]


async def nudge_of(arq_redis: ArqRedis, job_pk: int) -> str | None:
    """The arq id of the job's nudge if one waits on the imports queue."""
    job = await ImportJob.get(id=job_pk)
    nudge = import_job_id(job)
    return nudge if await arq_redis.zscore(IMPORTS_QUEUE, nudge) is not None else None


async def forget_nudge(arq_redis: ArqRedis, nudge: str) -> None:
    await arq_redis.zrem(IMPORTS_QUEUE, nudge)
    await arq_redis.delete(f"arq:job:{nudge}")


async def run_nudge_on_worker(arq_redis: ArqRedis, nudge: str, queue_name: str) -> Worker:
    """Runs the very nudge the API queued on a real arq worker.

    The nudge moves to a queue of this test first: the imports queue may be shared with
    other test sessions (one Redis server), whose workers must not take ours, nor ours theirs.
    """
    score = await arq_redis.zscore(IMPORTS_QUEUE, nudge)
    assert score is not None, "the API queued no nudge"
    await arq_redis.zrem(IMPORTS_QUEUE, nudge)
    await arq_redis.zadd(queue_name, {nudge: score})
    worker = Worker(
        functions=[func(run_import_job, keep_result=0)],
        redis_pool=arq_redis,
        queue_name=queue_name,
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    await worker.main()
    return worker
