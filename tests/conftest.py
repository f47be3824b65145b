"""Fixtures: a real database (SQLite file or a fresh PostgreSQL database) and a real Redis.

Set TEST_DATABASE_URL (postgres://…) and TEST_REDIS_URL (redis://…) to run on
servers; without them the suite uses a SQLite file and an embedded Redis.
Tests isolate themselves by signing up their own workspace: tenancy is the
isolation, so nothing is truncated between tests.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import pytest
import uvicorn
from arq import ArqRedis, create_pool

from tests.helpers import Account, GraphQL

TMP = Path(tempfile.mkdtemp(prefix="crm-tests-"))


def _database_url() -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite://{TMP / 'test.sqlite3'}"
    # A database of our own per session, so parallel runs never meet.
    parts = urlparse(base)
    return urlunparse(parts._replace(path=f"/crm_test_{uuid.uuid4().hex[:10]}"))


DATABASE_URL = _database_url()
os.environ.update(
    CRM_ENV="test",
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=os.environ.get("TEST_REDIS_URL", ""),
    EMBEDDED_REDIS_PATH=str(TMP / "redis.db"),
    SECRET_KEY="test-secret-key-of-the-suite-32-bytes-or-more",
    LOG_LEVEL="INFO",
    # Every test signs up its own workspace, all from 127.0.0.1 (tests/accounts sets the
    # limit it tests).
    SIGN_UPS_PER_ADDRESS="1000000",
)

from crm.settings import get_settings  # noqa: E402  (the environment above must come first)

get_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[str]:
    from crm.migrations import apply_migrations

    await apply_migrations(DATABASE_URL, create_db=DATABASE_URL.startswith("postgres"))
    yield DATABASE_URL
    if DATABASE_URL.startswith("postgres"):
        import asyncpg

        parts = urlparse(DATABASE_URL)
        admin = await asyncpg.connect(urlunparse(parts._replace(path="/postgres")))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{parts.path[1:]}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def server(database: str) -> AsyncIterator[str]:
    """The real app served by uvicorn on a free port (lifespan, WebSockets and all)."""
    from api.app import create_app

    port = _free_port()
    app = create_app(get_settings())
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def client(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=30) as http:
        yield http


@pytest.fixture
async def gql(client: httpx.AsyncClient) -> GraphQL:
    return GraphQL(client)


@pytest.fixture
async def workspace(gql: GraphQL) -> Account:
    """A fresh workspace with its ADMIN signed in."""
    return await gql.sign_up()


@pytest.fixture
async def arq_redis(server: str) -> AsyncIterator[ArqRedis]:
    """An arq pool on the suite's Redis (the server's, or the embedded one)."""
    from workers.settings import redis_settings

    pool = await create_pool(redis_settings())
    yield pool
    await pool.aclose()


@pytest.fixture
def queue_name() -> str:
    # Suites may share one Redis server: each test gets a queue nobody else reads.
    return f"crm:test:{uuid.uuid4().hex[:12]}"


@pytest.fixture
def run_worker(arq_redis: ArqRedis, queue_name: str):
    """Runs a real arq worker (DefaultWorker's functions) in burst mode on `queue_name`."""
    from arq.worker import Worker

    from workers.settings import DefaultWorker

    async def run(**overrides: object) -> Worker:
        worker = Worker(
            functions=DefaultWorker.functions,
            redis_pool=arq_redis,
            queue_name=queue_name,
            burst=True,
            poll_delay=0.05,
            handle_signals=False,
            **overrides,
        )
        try:
            await worker.main()
        finally:
            await worker.close()
        return worker

    return run
