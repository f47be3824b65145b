"""A database connection lost under a query: told apart from other failures, and tried once more.

PostgreSQL ends a connection on a restart, a failover or `pg_terminate_backend`; asyncpg's
pool replaces a connection it sees closed, but one lost in the middle of a query fails that
query. Tortoise's SQLite client holds one aiosqlite connection and never opens another by
itself: once it is closed under it, every query fails until the connection is dropped and
the next query opens a fresh one.

Only reads that may safely run twice are retried (`retry_once_if_connection_lost`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.connection import connections
from tortoise.exceptions import DBConnectionError

log = logging.getLogger("crm.db")

T = TypeVar("T")

_LOST_POSTGRES = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and "closed in the middle of operation"
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
)
# What aiosqlite raises once its connection is closed, and what sqlite3 says under it.
_LOST_SQLITE_MESSAGES = ("no active connection", "Connection closed", "closed database")


def is_connection_lost(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (*_LOST_POSTGRES, DBConnectionError, ConnectionError)):
            return True
        if isinstance(seen, (ValueError, sqlite3.ProgrammingError)) and any(
            message in str(seen) for message in _LOST_SQLITE_MESSAGES
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def retry_once_if_connection_lost(operation: Callable[[], Awaitable[T]], what: str) -> T:
    """`operation()`, run once more when its connection was lost; other failures are raised."""
    try:
        return await operation()
    except Exception as error:
        if not is_connection_lost(error):
            raise
        log.warning("database connection lost during %s (%s); trying once more", what, error)
    await _drop_closed_sqlite_connection()
    return await operation()


async def _drop_closed_sqlite_connection(name: str = "default") -> None:
    client = connections.get(name)
    if not isinstance(client, SqliteClient):
        return  # asyncpg's pool replaces closed connections itself
    try:
        await client.execute_query("SELECT 1")
    except Exception as error:
        if not is_connection_lost(error):
            raise
        # Nothing runs between the failed probe and this: the closed connection is the
        # one dropped, and the next query opens another.
        await client.close()
