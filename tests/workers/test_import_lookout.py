"""A run looks up from a long read about once a second (`ChunkCommits.look` in domain/imports/runner.py): a worker
shutting down gets its job back within seconds, and a slice never ends without progress."""

import asyncio
import contextlib
from datetime import timedelta

from domain.imports import runner
from domain.imports.jobs import ImportRequest, start_import
from domain.imports.runner import run_import
from models import Customer, ImportJob
from models.enums import ImportKind, ImportStatus
from tests.factories import viewer_of
from tests.helpers import Account
from tests.imports.workbooks import blank_rows


async def _import(account: Account, data: bytes) -> ImportJob:
    viewer = await viewer_of(account)
    request = ImportRequest(kind=ImportKind.CUSTOMERS, file=data, file_name="空行.xlsx")
    job, _ = await start_import(viewer, request)
    return job


async def test_a_run_that_must_stop_leaves_a_long_read_within_seconds(workspace: Account):
    # given: a sheet of blank rows that takes seconds to read and commits nothing
    job = await _import(workspace, blank_rows(1_000))
    asked = []

    def shutting_down() -> bool:
        asked.append(True)
        return True

    # when: its worker must stop (shutting down) from the start; the timeout is a hang guard
    status = await asyncio.wait_for(run_import(job.id, must_stop=shutting_down), 30)

    # then: back in the queue at its checkpoint, at the first look (a second into the read:
    # LOOK_EVERY), where it asked once (before: read to the end, never asking)
    assert asked == [True]
    assert status == ImportStatus.QUEUED
    stopped = await ImportJob.get(id=job.id)
    assert (stopped.status, stopped.next_row, stopped.heartbeat_at) == (
        ImportStatus.QUEUED,
        1,
        None,
    )


async def test_a_run_whose_slice_is_over_reads_on_until_a_chunk_commits(workspace: Account):
    # given: blank rows to read for a few seconds, then five customers
    job = await _import(workspace, blank_rows(300, then=5))

    # when: its slice is over from the start
    status = await run_import(job.id, should_stop=lambda: True, chunk_size=2)

    # then: it stopped only once a chunk had committed, so that the next slice starts further
    # on (a slice that stopped at a look would start over from row 1 forever)
    assert status == ImportStatus.QUEUED
    paused = await ImportJob.get(id=job.id)
    # (the header is row 1, the blank rows 2 to 301, the first two customers 302 and 303)
    assert (paused.processed_rows, paused.next_row) == (2, 304)
    assert await Customer.filter(workspace_id=paused.workspace_id).count() == 2


async def test_a_file_whose_runs_keep_running_out_of_time_fails_saying_why(workspace: Account):
    # given: a sheet whose blank rows take longer to read than a run may last (here arq's
    # timeout is a fraction of a second; a worker's is two minutes against a file of
    # tens of millions of empty cells)
    job = await _import(workspace, blank_rows(1_000))

    # when: runs are cancelled at their timeout, as arq's asyncio.wait_for does, and the
    # sweeper hands the job to the next run each time
    outcomes = []
    for _ in range(runner.MAX_ATTEMPTS):
        try:
            await asyncio.wait_for(run_import(job.id, stale_after=timedelta(0)), 0.5)
            outcomes.append("finished")
        except TimeoutError:
            outcomes.append("timed out")

    # then: the job failed after a few runs, saying why, rather than being read forever
    assert outcomes == ["timed out"] * runner.MAX_ATTEMPTS
    failed = await ImportJob.get(id=job.id)
    assert failed.status == ImportStatus.FAILED
    assert "ran out of time" in (failed.failure or "")
    assert failed.failed_attempts == runner.MAX_ATTEMPTS


async def test_a_run_cancelled_because_its_worker_stops_is_no_failure(workspace: Account):
    # given
    job = await _import(workspace, blank_rows(1_000))

    # when: its worker is shutting down and cancels it
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(run_import(job.id, must_stop=lambda: True), 0.2)

    # then: nothing counted against the file
    assert (await ImportJob.get(id=job.id)).failed_attempts == 0
