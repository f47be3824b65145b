"""`crm dev`: the zero-setup run starts, serves, and stops with everything it started."""

import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.ops.processes import (
    CRM,
    START_TIMEOUT,
    STOP_TIMEOUT,
    children_of,
    crm_env,
    embedded_redis_under,
    environ_of,
    free_port,
    is_running,
    kill_quietly,
    pids_with_cmdline_containing,
    wait_for_http,
    wait_until_gone,
)

SIGN_UP = """
mutation($email: String!) {
  signUp(workspaceName: "Dev", name: "Dev", email: $email, password: "correct horse") {
    token errors { field message code }
  }
}
"""
VIEWER = "{ viewer { email } }"
START_IMPORT = """
mutation($rows: [JSON!]!) {
  startImport(input: { kind: CUSTOMERS, rows: $rows }) { importJob { id } errors { message } }
}
"""
ROWS = [{"客户名称": "开发环境客户", "电话": "13800138000"}]
IMPORT_JOB = "query($id: ID!) { importJob(id: $id) { status createdCount } }"


def _import_runs_on_the_dev_worker(base: str, token: str) -> dict[str, object]:
    """Starts a one-row import and waits for the dev import worker to finish it."""
    headers = {"Authorization": f"Bearer {token}"}
    started = httpx.post(
        f"{base}/graphql",
        json={"query": START_IMPORT, "variables": {"rows": ROWS}},
        headers=headers,
        timeout=30,
    ).json()["data"]["startImport"]
    assert started["errors"] == []
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        job = httpx.post(
            f"{base}/graphql",
            json={"query": IMPORT_JOB, "variables": {"id": started["importJob"]["id"]}},
            headers=headers,
            timeout=30,
        ).json()["data"]["importJob"]
        if job["status"] not in ("QUEUED", "RUNNING") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def _wait_for_output(path: Path, text: str, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        output = path.read_text(errors="replace")
        if text in output:
            return output
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not printed; output: {path.read_text(errors='replace')}")


def _let_the_worker_settle(stderr: Path) -> None:
    """Waits (briefly) until the worker is ready and has run its start-up job.

    A dev server that has run for a while has a worker with an open database
    connection; stopping one that has not yet opened it would test less.
    """
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        log = stderr.read_text(errors="replace")
        ready = log.find("worker ready")
        if ready >= 0 and "← cron:dispatch_due_reminders" in log[ready:]:
            return
        time.sleep(0.1)


def _workers_of(process: subprocess.Popen[bytes]) -> dict[str, int]:
    """queue → pid of the worker `crm dev` started for it."""
    found: dict[str, int] = {}
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for child in children_of(process.pid):
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"worker" in cmdline and b"--queue" in cmdline:
                found[cmdline[cmdline.index(b"--queue") + 1].decode()] = child
        if len(found) == 2:
            return found
        time.sleep(0.1)
    raise AssertionError(f"crm dev started workers for {sorted(found)}, not default and imports")


@pytest.mark.parametrize(
    "stop_signal",
    [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")],
)
def test_dev_serves_on_sqlite_and_embedded_redis_and_stops_cleanly(
    tmp_path: Path, stop_signal: int
):
    # given: an empty directory and no DATABASE_URL / REDIS_URL: the zero-setup run
    port = free_port()
    env = crm_env(DATABASE_URL=None, REDIS_URL=None, EMBEDDED_REDIS_PATH=None, PORT=None)
    stdout, stderr = tmp_path / "dev.out", tmp_path / "dev.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [*CRM, "dev", "--port", str(port)], cwd=tmp_path, env=env, stdout=out, stderr=err
        )
    started: list[int] = []
    try:
        # when it comes up
        base = f"http://127.0.0.1:{port}"
        health = wait_for_http(f"{base}/healthz", process, START_TIMEOUT, stderr)
        printed = _wait_for_output(stdout, f"{base}/graphql", process)
        workers = _workers_of(process)
        redis_socket = environ_of(workers["imports"])["REDIS_URL"].removeprefix("unix://")
        embedded_redis = pids_with_cmdline_containing(redis_socket)
        started = [process.pid, *workers.values(), *embedded_redis]

        # then it serves GraphQL on its own SQLite file and embedded Redis
        assert health.json() == {"status": "ok"}
        assert "GraphiQL" in printed
        assert (tmp_path / "crm.sqlite3").exists()
        assert httpx.get(f"{base}/readyz", timeout=5).json()["redis"] == "ok"
        email = f"dev-{uuid.uuid4().hex[:8]}@example.com"
        signed_up = httpx.post(
            f"{base}/graphql", json={"query": SIGN_UP, "variables": {"email": email}}, timeout=30
        ).json()["data"]["signUp"]
        assert signed_up["errors"] == []
        viewer = httpx.post(
            f"{base}/graphql",
            json={"query": VIEWER},
            headers={"Authorization": f"Bearer {signed_up['token']}"},
            timeout=30,
        ).json()
        assert viewer == {"data": {"viewer": {"email": email}}}
        assert _import_runs_on_the_dev_worker(base, signed_up["token"]) == {
            "status": "COMPLETED",
            "createdCount": 1,
        }
        assert all(is_running(worker) for worker in workers.values())
        assert environ_of(workers["default"])["REDIS_URL"] == f"unix://{redis_socket}"
        assert embedded_redis, "no embedded Redis server serves the worker's REDIS_URL"
        _let_the_worker_settle(stderr)

        # when it is interrupted (Ctrl+C) or stopped (docker stop, systemd)
        process.send_signal(stop_signal)

        # then the API, its workers and its embedded Redis all exit, promptly
        roles = {process.pid: "crm dev"}
        roles.update((pid, f"its {queue} worker") for queue, pid in workers.items())
        roles.update((pid, "its embedded Redis") for pid in embedded_redis)
        left = wait_until_gone(list(roles), STOP_TIMEOUT)
        assert left == [], f"still running {STOP_TIMEOUT}s after {stop_signal.name}: " + ", ".join(
            roles[pid] for pid in left
        )
    finally:
        for pid in [*children_of(process.pid), *started, *embedded_redis_under(tmp_path)]:
            kill_quietly(pid)
        if process.poll() is None:
            process.kill()
        process.wait()


def test_a_second_dev_in_the_folder_refuses_before_touching_anything(tmp_path: Path):
    # given: `crm dev` running in a folder (as `make run` starts it)
    port = free_port()
    env = crm_env(DATABASE_URL=None, REDIS_URL=None, EMBEDDED_REDIS_PATH=None, PORT=str(port))
    stdout, stderr = tmp_path / "dev.out", tmp_path / "dev.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        first = subprocess.Popen([*CRM, "dev"], cwd=tmp_path, env=env, stdout=out, stderr=err)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/readyz", first, START_TIMEOUT, stderr)
        redis_before = embedded_redis_under(tmp_path)

        # when: a second `make run` in the same folder
        second = subprocess.run(
            [*CRM, "dev"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )

        # then: it refuses in one line naming the first, and the first runs on, untouched
        assert second.returncode != 0
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert lines[0].startswith("crm dev: another run holds this folder")
        assert f"pid {first.pid}" in lines[0] and f":{port}" in lines[0]
        assert embedded_redis_under(tmp_path) == redis_before != []
        assert httpx.get(f"{base}/readyz", timeout=10).json() == {
            "ready": True,
            "database": "ok",
            "redis": "ok",
        }
    finally:
        workers = children_of(first.pid)
        first.send_signal(signal.SIGINT)
        try:
            first.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            first.kill()
            first.wait()
        for pid in [*workers, *embedded_redis_under(tmp_path)]:
            kill_quietly(pid)
