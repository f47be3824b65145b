"""A database that does not answer ends a command with one line: what, where, why, which
variable; libpq's TLS parameters in DATABASE_URL mean what they mean to libpq."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.ops.processes import crm_env, run_crm

# Nothing listens on port 1: the connection is refused at once.
NOBODY = "postgres://crm@127.0.0.1:1/crm"
SERVER = os.environ.get("TEST_DATABASE_URL", "")


def _one_line(done, *expected: str) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _with_query(url: str, query: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query=query))


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["migrate"], id="migrate"),
        pytest.param(["seed"], id="seed"),
        pytest.param(["import", "missing-is-fine.csv", "--workspace", "1"], id="import"),
    ],
)
def test_an_unreachable_postgresql_is_one_line(tmp_path: Path, command: list[str]):
    # given
    (tmp_path / "missing-is-fine.csv").write_text("name\nx\n")

    # when
    done = run_crm(*command, env=crm_env(DATABASE_URL=NOBODY), cwd=tmp_path)

    # then
    line = _one_line(done, "DATABASE_URL", "127.0.0.1:1", "connection refused")
    assert line.startswith(f"crm {command[0]}: cannot reach PostgreSQL")


def test_an_unknown_host_is_one_line(tmp_path: Path):
    done = run_crm("migrate", env=crm_env(DATABASE_URL="postgres://db.invalid/crm"), cwd=tmp_path)

    _one_line(done, "db.invalid:5432", "DATABASE_URL", "unknown host")


# What a server says when it answers (the PostgreSQL cases run on the PostgreSQL leg of the
# suite); a SQLite file in a folder that does not exist (Tortoise would wait forever after).
REFUSALS = [
    pytest.param(
        "sqlite://{tmp}/nowhere/crm.sqlite3",
        ["DATABASE_URL", "{tmp}/nowhere", "no such folder"],
        id="sqlite-missing-folder",
    ),
    # libpq's parameters reach the driver (they used to crash Tortoise's connect() first).
    pytest.param(
        f"{NOBODY}?sslmode=require",
        ["DATABASE_URL", "127.0.0.1:1", "connection refused"],
        id="sslmode-to-nobody",
    ),
    pytest.param(  # asyncpg reads the files before it connects
        f"{NOBODY}?sslmode=verify-full&sslrootcert=/nonexistent/root.crt",
        ["sslmode=verify-full", "sslrootcert=/nonexistent/root.crt", "DATABASE_URL"],
        id="missing-root-certificate",
    ),
]
if SERVER:
    REFUSALS += [
        pytest.param(
            _with_database(SERVER, "crm_no_such_database"),
            ['database "crm_no_such_database" does not exist', "DATABASE_URL"],
            id="missing-database",
        ),
    ]


@pytest.mark.parametrize(("url", "expected"), REFUSALS)
def test_what_cannot_be_used_is_one_line(tmp_path: Path, url: str, expected: list[str]):
    # given
    url = url.format(tmp=tmp_path)

    # when
    done = run_crm("migrate", env=crm_env(DATABASE_URL=url), cwd=tmp_path, timeout=30)

    # then
    _one_line(done, *(text.format(tmp=tmp_path) for text in expected))


# libpq's `prefer` and `allow` fall back to plain text from a server without TLS (the suite's,
# like most on a laptop), `require` does not; with TLS on, all but `disable` use it. On the
# SQLite leg, a SQLite URL: no PostgreSQL to ask.
SSL_MODES = ("disable", "allow", "prefer", "require") if SERVER else ("none",)


async def _server_offers_tls(url: str) -> bool:
    import asyncpg

    connection = await asyncpg.connect(url, ssl=False)
    try:
        return await connection.fetchval("SHOW ssl") == "on"
    finally:
        await connection.close()


@pytest.mark.parametrize("sslmode", SSL_MODES)
async def test_sslmode_means_what_it_means_to_libpq(database: str, tmp_path: Path, sslmode: str):
    # given: the suite's (migrated) database, by a URL such as a hosted service hands out
    postgres = database.startswith("postgres")
    url = _with_query(database, f"sslmode={sslmode}") if postgres else database
    tls = postgres and await _server_offers_tls(database)

    # when
    done = await asyncio.to_thread(run_crm, "migrate", env=crm_env(DATABASE_URL=url), cwd=tmp_path)

    # then
    if sslmode == "require" and not tls:
        _one_line(done, "over TLS", "sslmode=require", "does not offer TLS", "DATABASE_URL")
    else:
        assert done.returncode == 0, done.stderr
        assert "migrations applied" in done.stdout
