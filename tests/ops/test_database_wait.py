"""`crm migrate --wait`: the migration waits for PostgreSQL to accept TCP connections."""

import socket
import threading
import time
from pathlib import Path

import pytest

from crm.database_wait import DatabaseUnreachable, database_address, wait_for_database
from tests.ops.processes import crm_env, free_port, run_crm


def _listen_later(port: int, delay: float) -> tuple[threading.Thread, list[socket.socket]]:
    """A TCP listener on `port` that starts after `delay` seconds (a database coming up)."""
    opened: list[socket.socket] = []

    def serve() -> None:
        time.sleep(delay)
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        opened.append(server)

    thread = threading.Thread(target=serve)
    thread.start()
    return thread, opened


def test_it_returns_once_the_server_accepts_connections():
    # given: nothing listens yet; the "database" comes up half a second later
    port = free_port()
    thread, opened = _listen_later(port, 0.5)
    said: list[str] = []
    try:
        # when
        wait_for_database(f"postgres://crm@127.0.0.1:{port}/crm", 30, say=said.append, pause=0.1)
    finally:
        thread.join()
        for server in opened:
            server.close()

    # then: it waited, said so once, and went on
    assert len(said) == 1 and f"127.0.0.1:{port}" in said[0]


def test_it_gives_up_after_the_timeout_naming_the_address():
    # given
    port = free_port()

    # when / then
    with pytest.raises(DatabaseUnreachable, match=f"127.0.0.1:{port}"):
        wait_for_database(
            f"postgres://crm@127.0.0.1:{port}/crm", 0.3, say=lambda _: None, pause=0.1
        )


def test_sqlite_has_no_server_to_wait_for():
    assert database_address("sqlite://./crm.sqlite3") is None
    assert database_address("postgres://crm:secret@db/crm") == ("db", 5432)


def test_crm_migrate_wait_exits_with_the_reason(tmp_path: Path):
    # given: a PostgreSQL URL where nothing listens
    port = free_port()
    env = crm_env(DATABASE_URL=f"postgres://crm@127.0.0.1:{port}/crm")

    # when
    result = run_crm("migrate", "--wait", "0.5", env=env, cwd=tmp_path)

    # then
    assert result.returncode == 1
    assert f"127.0.0.1:{port}" in result.stderr
