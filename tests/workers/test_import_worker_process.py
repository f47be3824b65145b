"""A real `crm worker --queue imports` process, killed, stopped or cancelled in the middle of an
import."""

import asyncio
import functools
import json
import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from api.core.ids import from_global_id, to_global_id
from crm.queues import IMPORTS_QUEUE, enqueue_import, import_job_id
from crm.redis import redis_url
from crm.settings import get_settings
from domain.imports.jobs import ImportRequest, start_import
from domain.imports.runner import run_import
from domain.viewer import Viewer
from models import Customer, ImportJob, User
from models.enums import FINISHED_IMPORT_STATUSES as FINISHED
from models.enums import ImportKind, ImportStatus
from tests.cpu import process_cpu_seconds
from tests.helpers import Account, GraphQL
from tests.imports.api.support import CANCEL_IMPORT
from tests.imports.workbooks import blank_rows
from tests.ops.processes import CRM, crm_env

ROWS = 30_000  # thirty chunks: long enough to be caught in the middle


async def _big_import(account: Account) -> tuple[Viewer, ImportJob]:
    user = await User.get(id=from_global_id(account.user_id)[1])
    viewer = Viewer(workspace_id=user.workspace_id, role=user.role, user_id=user.id)
    rows = [{"name": f"客户 {i:05d}", "phone": f"139{i:08d}"} for i in range(ROWS)]
    # Three calls' worth of rows through the domain (the API caps one call at 10,000).
    payload = ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows[:10_000])
    job, _ = await start_import(viewer, payload)
    body = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode()
    await ImportJob.filter(id=job.id).update(payload=body)
    return viewer, job


def _start_worker(tmp_path: Path) -> subprocess.Popen[bytes]:
    settings = get_settings()
    env = crm_env(
        DATABASE_URL=settings.database_url,
        REDIS_URL=redis_url(settings.redis_url, settings.embedded_redis_path),
        LOG_FORMAT="json",
    )
    log = (tmp_path / "worker.log").open("wb")
    return subprocess.Popen(
        [*CRM, "worker", "--queue", "imports"], env=env, stdout=log, stderr=log, cwd=tmp_path
    )


async def _wait_for_progress(job_id: int, process: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the worker died on its own"
        processed = (
            await ImportJob.filter(id=job_id).first().values_list("processed_rows", flat=True)
        )
        if processed:
            return processed
        await asyncio.sleep(0.05)
    raise AssertionError("the worker never committed a chunk")


async def _forget_nudges(arq_redis, job: ImportJob) -> None:
    """Takes the job's own nudges (any checkpoint) off the imports queue other suites share."""
    ours = import_job_id(job).rsplit(":", 1)[0] + ":"
    for nudge in await arq_redis.zrange(IMPORTS_QUEUE, 0, -1):
        if nudge.decode().startswith(ours):
            await arq_redis.delete(f"arq:job:{nudge.decode()}", f"arq:in-progress:{nudge.decode()}")
            await arq_redis.zrem(IMPORTS_QUEUE, nudge)


async def test_a_worker_killed_mid_import_loses_and_repeats_nothing(
    workspace: Account, arq_redis, tmp_path: Path
):
    # given: a worker process running a 30,000-row import
    viewer, job = await _big_import(workspace)
    worker = _start_worker(tmp_path)
    try:
        await enqueue_import(arq_redis, job)
        await _wait_for_progress(job.id, worker)

        # when: it is killed without warning, mid-chunk
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
        # The dead worker's nudge stays queued; this suite shares the Redis, so take it away.
        await _forget_nudges(arq_redis, job)
    killed = await ImportJob.get(id=job.id)
    assert killed.status == ImportStatus.RUNNING
    assert killed.processed_rows < ROWS
    assert killed.next_row == killed.processed_rows + 1  # the checkpoint is what committed

    # then: another worker, seeing the dead one's heartbeat go stale, finishes with exact counts
    assert await run_import(job.id, stale_after=timedelta(0)) == ImportStatus.COMPLETED
    done = await ImportJob.get(id=job.id)
    assert (done.processed_rows, done.created_count, done.failed_count) == (ROWS, ROWS, 0)
    assert await Customer.filter(workspace_id=viewer.workspace_id).count() == ROWS


async def test_a_worker_stopped_with_sigterm_checkpoints_and_requeues(
    workspace: Account, arq_redis, tmp_path: Path
):
    # given
    _, job = await _big_import(workspace)
    worker = _start_worker(tmp_path)
    try:
        await enqueue_import(arq_redis, job)
        await _wait_for_progress(job.id, worker)

        # when: asked to stop, as an orchestrator does
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()

    # then: it finished its chunk, put the job back at its checkpoint, and exited
    assert code == 0, (tmp_path / "worker.log").read_text(errors="replace")[-2000:]
    stopped = await ImportJob.get(id=job.id)
    assert stopped.status == ImportStatus.QUEUED
    assert 0 < stopped.processed_rows < ROWS
    assert stopped.next_row == stopped.processed_rows + 1
    # and its log lines about the job say which job and workspace they are about
    log = (tmp_path / "worker.log").read_text().splitlines()
    lines = [json.loads(line) for line in log if line.startswith("{")]
    about_the_job = [line for line in lines if line.get("import_job_id") == job.id]
    assert about_the_job, lines
    assert {line["workspace_id"] for line in about_the_job} == {job.workspace_id}
    await ImportJob.filter(id=job.id).update(status=ImportStatus.CANCELLED)  # leave no work behind


# Blank rows of 1,000 empty cells: nothing to import, no chunk to commit, and some 15 s of
# reading (a few milliseconds a row) for a run to be caught in.
SLOW_ROWS = 3_000
# The CPU seconds (tests/cpu.py) a worker may spend reading on once told to stop: about
# LOOK_EVERY (1 s) of reading before its next look, where reading the rest of the file
# took some 10 s more. Its CPU, not the wall clock, which a loaded machine stretches.
READ_ON_AT_MOST = 5.0


@functools.cache
def _slow_workbook() -> bytes:
    return blank_rows(SLOW_ROWS)


async def _slow_import(account: Account) -> ImportJob:
    user = await User.get(id=from_global_id(account.user_id)[1])
    viewer = Viewer(workspace_id=user.workspace_id, role=user.role, user_id=user.id)
    request = ImportRequest(kind=ImportKind.CUSTOMERS, file=_slow_workbook(), file_name="空行.xlsx")
    job, _ = await start_import(viewer, request)
    return job


async def _wait_for_status(
    job_id: int, statuses: set[ImportStatus], process: subprocess.Popen[bytes] | None = None
) -> ImportJob:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process is not None:
            assert process.poll() is None, "the worker died on its own"
        job = await ImportJob.get(id=job_id)
        if job.status in statuses:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"the job never became {statuses}")


async def _until_beaten_while_read(claimed: ImportJob, process: subprocess.Popen[bytes]) -> None:
    """Returns once the job's heartbeat has moved on a second from its claim, the job read
    (RUNNING, nothing committed) all the while. Polled under a hang guard: a fixed wait of
    2.5 s failed on a loaded machine, where the worker took longer to reach its first look."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the worker died on its own"
        job = await ImportJob.get(id=claimed.id)
        assert (job.status, job.processed_rows) == (ImportStatus.RUNNING, 0)
        if job.heartbeat_at >= claimed.heartbeat_at + timedelta(seconds=1):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the job's heartbeat never moved on while it was read")


def _rss(pid: int) -> int:
    """The process's resident memory, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    return (
        int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
        * 1024
    )


async def test_a_slow_import_is_cancelled_within_seconds(
    workspace: Account, gql: GraphQL, arq_redis, tmp_path: Path
):
    # given: a worker process reading a sheet of blank rows, which commits no chunk
    job = await _slow_import(workspace)
    worker = _start_worker(tmp_path)
    try:
        await enqueue_import(arq_redis, job)
        claimed = await _wait_for_status(job.id, {ImportStatus.RUNNING}, worker)
        # it says it is alive as it reads, so the sweeper leaves it be (before: its heartbeat
        # went stale and the next worker was handed the job, while this one kept reading)
        await _until_beaten_while_read(claimed, worker)
        rss_reading = _rss(worker.pid)

        # when: its owner cancels it
        cpu_asked = process_cpu_seconds(worker.pid)
        result = await gql.execute(
            CANCEL_IMPORT, {"id": to_global_id("ImportJob", job.id)}, workspace.token
        )
        assert result.ok()["cancelImport"]["importJob"]["status"] == "RUNNING"
        done = await _wait_for_status(job.id, set(FINISHED), worker)
        read_on = process_cpu_seconds(worker.pid) - cpu_asked
        rss_done = _rss(worker.pid)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
            await _forget_nudges(arq_redis, job)

    # then: cancelled a look later (before: not until the whole file was read), its memory
    # flat meanwhile
    assert done.status == ImportStatus.CANCELLED, done.failure
    assert read_on < READ_ON_AT_MOST, f"read on for {read_on:.1f} CPU s"
    assert rss_done - rss_reading < 32 * 1024 * 1024, (rss_reading, rss_done)


async def test_a_worker_stopped_mid_read_hands_the_job_back_within_seconds(
    workspace: Account, arq_redis, tmp_path: Path
):
    # given: a worker process reading a sheet of blank rows, which commits no chunk
    job = await _slow_import(workspace)
    worker = _start_worker(tmp_path)
    try:
        await enqueue_import(arq_redis, job)
        await _wait_for_status(job.id, {ImportStatus.RUNNING}, worker)
        await asyncio.sleep(1.5)

        # when: asked to stop, as an orchestrator does
        cpu_asked = process_cpu_seconds(worker.pid)
        worker.send_signal(signal.SIGTERM)
        stopped = await _wait_for_status(job.id, {ImportStatus.QUEUED, *FINISHED})
        read_on = process_cpu_seconds(worker.pid) - cpu_asked
        # A hang guard, a third of the minute an arq worker's shutdown waits for its jobs:
        # a worker that waited it out raises TimeoutExpired here.
        code = worker.wait(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
        await _forget_nudges(arq_redis, job)

    # then: back in the queue at its checkpoint within seconds, and the worker gone (before:
    # it read on until the end of the file, or the minute a shutdown waits for)
    assert stopped.status == ImportStatus.QUEUED, stopped.failure
    assert (stopped.next_row, stopped.heartbeat_at) == (1, None)
    assert read_on < READ_ON_AT_MOST, f"read on for {read_on:.1f} CPU s"
    assert code == 0, (tmp_path / "worker.log").read_text(errors="replace")[-2000:]
    await ImportJob.filter(id=job.id).update(status=ImportStatus.CANCELLED)  # leave no work behind
