"""The SQLite backend the zero-setup run uses: Tortoise's, comparing text as PostgreSQL does.

LIKE is case-sensitive on PostgreSQL; `case_sensitive_like` makes SQLite's agree (the
exact tag filter relies on it).

SQLite's own LOWER() folds only ASCII letters, PostgreSQL's folds every letter. Matching
an imported "ÉMILE ZOLA SARL" against the stored "Émile Zola SARL" by name would find it
on PostgreSQL and create a duplicate on SQLite. Python's str.lower() and str.upper()
replace SQLite's on every connection, so both databases fold text alike.

Tortoise opens the connection after taking the client's lock and keeps the lock when the
opening fails (a folder that does not exist yet): every statement after that waited forever,
so the API never turned ready and `crm migrate` hung. The connection is opened under the
lock first, in a block that releases it whatever happens.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import ConnectionWrapper
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


class _OpeningConnectionWrapper(ConnectionWrapper):
    async def __aenter__(self) -> Any:
        async with self._lock:
            await self.ensure_connection()
        return await super().__aenter__()


class _OpeningTransactionContext(SqliteTransactionContext):
    async def __aenter__(self) -> Any:
        async with self._trxlock:
            await self.ensure_connection()
        return await super().__aenter__()


class UnicodeSqliteClient(SqliteClient):
    def acquire_connection(self) -> ConnectionWrapper:
        return _OpeningConnectionWrapper(self._lock, self)

    def _in_transaction(self) -> SqliteTransactionContext:
        # What SqliteClient._in_transaction builds, with the opening context in its place.
        return _OpeningTransactionContext(SqliteTransactionWrapper(self), self._lock)

    async def _post_connect(self) -> None:
        await super()._post_connect()
        connection = self._connection
        assert connection is not None
        await connection.create_function("lower", 1, _lower, deterministic=True)
        await connection.create_function("upper", 1, _upper, deterministic=True)
        await connection.execute("PRAGMA case_sensitive_like=ON")


client_class = UnicodeSqliteClient
