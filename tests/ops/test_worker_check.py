"""`crm worker --check`: the health probe docker-compose runs, answered from arq's health key."""

import subprocess
import time
import uuid
from pathlib import Path

from crm.redis import redis_url
from crm.settings import get_settings
from tests.ops.processes import (
    CRM,
    START_TIMEOUT,
    crm_env,
    embedded_redis_under,
    kill_quietly,
    run_crm,
)


def _suite_redis_env() -> dict[str, str]:
    settings = get_settings()
    return crm_env(
        DATABASE_URL=settings.database_url,
        REDIS_URL=redis_url(settings.redis_url, settings.embedded_redis_path),
    )


def test_check_fails_when_no_worker_has_reported(tmp_path: Path):
    # given: a Redis no worker has ever used (a fresh embedded one)
    env = crm_env(REDIS_URL=None, EMBEDDED_REDIS_PATH=str(tmp_path / "redis.db"))
    try:
        # when
        result = run_crm("worker", "--queue", "imports", "--check", env=env, cwd=tmp_path)
    finally:
        for pid in embedded_redis_under(tmp_path):
            kill_quietly(pid)

    # then
    assert result.returncode == 1, result.stdout + result.stderr


def test_check_passes_while_a_worker_of_that_queue_runs(tmp_path: Path):
    # given: an import worker running on the suite's Redis
    env = _suite_redis_env()
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [*CRM, "worker", "--queue", "imports"], env=env, stdout=log, stderr=log, cwd=tmp_path
        )
    try:
        # when: the probe runs as docker's healthcheck would
        deadline = time.monotonic() + START_TIMEOUT
        result = run_crm("worker", "--queue", "imports", "--check", env=env, cwd=tmp_path)
        while result.returncode != 0 and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text(errors="replace")
            time.sleep(0.5)
            result = run_crm("worker", "--queue", "imports", "--check", env=env, cwd=tmp_path)

        # then
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _check(env: dict[str, str], cwd: Path, replica: str) -> int:
    return run_crm(
        "worker", "--queue", "imports", "--replica", replica, "--check", env=env, cwd=cwd
    ).returncode


def test_each_replica_answers_for_its_own_health(tmp_path: Path):
    # given: two replicas of one queue on one Redis, each named (as compose's containers are,
    # by their host names)
    env = _suite_redis_env()
    names = [f"replica-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    workers = {}
    for name in names:
        with (tmp_path / f"{name}.log").open("wb") as log:
            workers[name] = subprocess.Popen(
                [*CRM, "worker", "--queue", "imports", "--replica", name],
                env=env,
                stdout=log,
                stderr=log,
                cwd=tmp_path,
            )
    first, second = names
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while any(_check(env, tmp_path, name) for name in names):
            for name, worker in workers.items():
                log = (tmp_path / f"{name}.log").read_text(errors="replace")
                assert worker.poll() is None, log
            assert time.monotonic() < deadline, "the replicas never both reported health"
            time.sleep(0.5)

        # when: the first stops
        workers[first].terminate()
        workers[first].wait(timeout=30)

        # then: its check fails at once, while the other's still passes
        assert _check(env, tmp_path, first) == 1
        assert _check(env, tmp_path, second) == 0
        # and a replica that never ran is not healthy for its neighbours' sake
        assert _check(env, tmp_path, f"replica-{uuid.uuid4().hex[:8]}") == 1
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)


def test_check_says_in_one_line_that_redis_does_not_answer(tmp_path: Path):
    # given: nothing listens where REDIS_URL points
    env = crm_env(REDIS_URL="redis://127.0.0.1:1/0")

    # when
    result = run_crm("worker", "--check", env=env, cwd=tmp_path)

    # then: unhealthy, and why
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "crm worker --check: cannot reach Redis at 127.0.0.1:1 (REDIS_URL): connection refused"
    ]
