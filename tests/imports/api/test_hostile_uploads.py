"""Hostile workbooks uploaded through the API and run by a real arq worker: each one finishes,
or fails on its first run (never retried) with its reason in `failureReason`, in seconds."""

from __future__ import annotations

import tracemalloc

import httpx
import pytest
from arq import ArqRedis

from models import ImportJob
from tests.cpu import cpu_time
from tests.factories import pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import nudge_of, payload_of, run_nudge_on_worker, upload
from tests.imports.test_hostile_workbooks import DIMENSION_BOMB, HEADER, MALFORMED
from tests.imports.workbooks import inline, sheet, workbook

JOB = """
query Job($id: ID!) {
  importJob(id: $id) { status processedRows createdCount failedCount failureReason }
}
"""

# name → (file, status, words of its failureReason)
HOSTILE = {
    **{name: (data, "FAILED", reason) for name, (data, reason) in MALFORMED.items()},
    "a value in column XFD": (
        workbook(sheet(f'{HEADER}<row r="2">{inline("XFD2", "x")}</row>')),
        "FAILED",
        "value in column XFD of row 2",
    ),
    "a row past the last one": (
        workbook(sheet(f'{HEADER}<row r="99999999">{inline("A9", "x")}</row>')),
        "FAILED",
        "goes on past row 1,048,576",
    ),
}


async def _run(
    client: httpx.AsyncClient, account: Account, arq_redis: ArqRedis, queue: str, data: bytes
):
    """Uploads `data`, runs its nudge on a real worker; (job's global id, worker, CPU seconds
    of the run: tests/cpu.py, the worker runs in this process)."""
    started = payload_of(await upload(client, account.token, data, "客户.xlsx", kind="CUSTOMERS"))
    assert started["errors"] == []
    job_id = started["importJob"]["id"]
    nudge = await nudge_of(arq_redis, pk(job_id))
    assert nudge is not None
    with cpu_time() as cpu:
        worker = await run_nudge_on_worker(arq_redis, nudge, queue)
    return job_id, worker, cpu.seconds


@pytest.mark.parametrize("case", HOSTILE)
async def test_a_hostile_workbook_fails_on_its_first_run_with_its_reason(
    case: str,
    client: httpx.AsyncClient,
    gql: GraphQL,
    workspace: Account,
    arq_redis: ArqRedis,
    queue_name: str,
):
    data, status, reason = HOSTILE[case]

    # when
    job_id, worker, seconds = await _run(client, workspace, arq_redis, queue_name, data)

    # then: one run, which failed the job (before: raised, and was retried over minutes)
    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried) == (1, 0, 0)
    job = (await gql.execute(JOB, {"id": job_id}, workspace.token)).ok()["importJob"]
    assert job["status"] == status
    assert reason in job["failureReason"]
    assert (await ImportJob.get(id=pk(job_id))).failed_attempts == 0
    assert seconds < 5, seconds


async def test_a_workbook_declaring_a_huge_sheet_imports_its_one_row_at_once(
    client: httpx.AsyncClient,
    gql: GraphQL,
    workspace: Account,
    arq_redis: ArqRedis,
    queue_name: str,
):
    # given: 1.6 KB declaring A1:XFD1048576, its one row at 1048576 (before: an imports
    # worker at full CPU for half an hour)
    tracemalloc.start()
    try:
        # when
        job_id, worker, seconds = await _run(
            client, workspace, arq_redis, queue_name, DIMENSION_BOMB
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    # then
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    job = (await gql.execute(JOB, {"id": job_id}, workspace.token)).ok()["importJob"]
    assert job == {
        "status": "COMPLETED",
        "processedRows": 1,
        "createdCount": 1,
        "failedCount": 0,
        "failureReason": None,
    }
    assert seconds < 5, seconds
    assert peak < 32 * 1024 * 1024, peak  # the API's request and the worker's run, both
