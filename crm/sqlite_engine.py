"""The SQLite backend the zero-setup run uses: Tortoise's, comparing text as PostgreSQL does.

LIKE is case-sensitive on PostgreSQL; `case_sensitive_like` makes SQLite's agree (the
exact tag filter relies on it).

SQLite's own LOWER() folds only ASCII letters, PostgreSQL's folds every letter. Matching
an imported "ÉMILE ZOLA SARL" against the stored "Émile Zola SARL" by name would find it
on PostgreSQL and create a duplicate on SQLite. Python's str.lower() and str.upper()
replace SQLite's on every connection, so both databases fold text alike.
"""

from __future__ import annotations

from tortoise.backends.sqlite.client import SqliteClient


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


class UnicodeSqliteClient(SqliteClient):
    async def _post_connect(self) -> None:
        await super()._post_connect()
        connection = self._connection
        assert connection is not None
        await connection.create_function("lower", 1, _lower, deterministic=True)
        await connection.create_function("upper", 1, _upper, deterministic=True)
        await connection.execute("PRAGMA case_sensitive_like=ON")


client_class = UnicodeSqliteClient
