"""Health checks: /healthz says the process lives; /readyz that its database and Redis answer."""

from pathlib import Path

import httpx

from tests.ops.processes import crm_env, crm_serve


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

    # then
    assert alive.status_code == 200
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False
    assert body["database"].startswith("unavailable")
    assert body["redis"] == "ok"
