"""Raw SQL for both databases, written one way: the few fragments that differ between
PostgreSQL (asyncpg) and SQLite live here, and every hand-written statement (imports,
scoring, reports, reminders, the API's nested windows) builds them through this module.

- placeholders: `$n` for asyncpg, `?` for SQLite; `Sql` numbers them as values are bound;
- instants: PostgreSQL compares `timestamptz` natively. SQLite keeps them as text that may
  carry any UTC offset, so it compares and orders them through julianday() (millisecond
  precision), never as text;
- row locks: `FOR UPDATE` on PostgreSQL; nothing on SQLite, which has one writer, so a
  transaction that writes already excludes every other writer;
- a list of values as ONE parameter: an array on PostgreSQL (`= ANY($n)`), a JSON array on
  SQLite (`IN (SELECT value FROM json_each(?))`), so a statement's text does not grow with
  the list and PostgreSQL prepares it once.

The bulk writes built on these (COPY, UPDATE … FROM a list of rows) are in
domain/bulk_sql.py, shared by imports and scoring.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any


def is_postgres(db: Any) -> bool:
    """Whether the Tortoise connection `db` speaks PostgreSQL (else SQLite)."""
    return db.capabilities.dialect == "postgres"


def placeholder(db: Any, position: int) -> str:
    """The `position`-th (1-based) parameter of a statement."""
    return f"${position}" if is_postgres(db) else "?"


def for_update(db: Any, lock: bool = True, *, skip_locked: bool = False) -> str:
    """The clause that holds the selected rows until the transaction ends, if `lock`
    (PostgreSQL only, see the module's docstring); `skip_locked` passes over rows that
    another transaction holds instead of waiting for them."""
    if not lock or not is_postgres(db):
        return ""
    return " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"


def any_of(db: Any, expression: str, position: int, sql_type: str) -> str:
    """SQL true when `expression` is one of the values of the list parameter at `position`."""
    if is_postgres(db):
        return f"{expression} = ANY(${position}::{sql_type}[])"
    return f"{expression} IN (SELECT value FROM json_each(?))"


def list_parameter(db: Any, values: Iterable[Any]) -> Any:
    """The parameter that `any_of` compares with: an array, or a JSON array for SQLite."""
    return list(values) if is_postgres(db) else json.dumps(list(values), ensure_ascii=False)


async def fetch(db: Any, sql: str, params: list[Any]) -> list[Sequence[Any]]:
    """The rows of a query as sequences of column values, in the order selected."""
    _, rows = await db.execute_query(sql, params)
    return rows


class Sql:
    """One statement's bound values, written as placeholders in the order they are bound,
    and the dialect's fragments that take values."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.postgres = is_postgres(db)
        self.values: list[Any] = []

    def bind(self, value: Any) -> str:
        """The placeholder of `value`, bound next."""
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"

    def among(self, expression: str, values: Iterable[Any], sql_type: str = "BIGINT") -> str:
        """`expression` is one of `values` (one parameter, however many values)."""
        self.values.append(list_parameter(self.db, values))
        return any_of(self.db, expression, len(self.values), sql_type)

    def instant(self, column: str) -> str:
        """A timestamp column as something that compares and orders by instant."""
        return column if self.postgres else f"julianday({column})"

    def bind_instant(self, value: datetime) -> str:
        """`value` bound as something that compares with `instant(column)`."""
        if self.postgres:
            return self.bind(value)
        return f"julianday({self.bind(value.isoformat())})"

    def instant_is(self, column: str, operator: str, value: datetime) -> str:
        """`column` compared (`operator`: <, <=, =, >=, >) with the instant `value`."""
        return f"{self.instant(column)} {operator} {self.bind_instant(value)}"

    def for_update(self, lock: bool = True, *, skip_locked: bool = False) -> str:
        return for_update(self.db, lock, skip_locked=skip_locked)

    async def rows(self, statement: str) -> list[Sequence[Any]]:
        """The rows of `statement`, run with the values bound for it."""
        return await fetch(self.db, statement, self.values)

    async def dicts(self, statement: str) -> list[dict[str, Any]]:
        """The rows of `statement` as column name → value."""
        return await self.db.execute_query_dict(statement, self.values)
