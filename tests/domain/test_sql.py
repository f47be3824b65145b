"""domain/sql.py: one way to write raw SQL for both databases.

Instants are compared as instants: SQLite keeps them as text that may carry any UTC
offset, where "12:00+02:00" sorts after "11:00+00:00" though it is an hour earlier.
"""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tortoise import connections

from domain.sql import Sql

NOON_IN_CAIRO = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))  # 10:00 UTC
ELEVEN_UTC = datetime(2026, 1, 1, 11, tzinfo=UTC)


def _stored(sql: Sql, value: datetime) -> str:
    """`value` as a column holding it would: text with its offset on SQLite."""
    if sql.postgres:
        return f"{sql.bind(value)}::timestamptz"
    return sql.bind(value.isoformat())


async def _one(sql: Sql, statement: str) -> Any:
    rows = await sql.rows(statement)
    return rows[0][0]


async def test_an_instant_with_another_offset_compares_by_the_instant(server: str):
    # given
    sql = Sql(connections.get("default"))
    stored = _stored(sql, NOON_IN_CAIRO)

    # when
    earlier = await _one(
        sql, f"SELECT CASE WHEN {sql.instant_is(stored, '<', ELEVEN_UTC)} THEN 1 ELSE 0 END"
    )

    # then
    assert earlier == 1


async def test_instants_order_by_the_instant_whatever_their_offsets(server: str):
    # given
    sql = Sql(connections.get("default"))
    first, second = _stored(sql, ELEVEN_UTC), _stored(sql, NOON_IN_CAIRO)
    values = f"SELECT 'eleven' AS name, {first} AS at UNION ALL SELECT 'noon', {second}"

    # when
    rows = await sql.rows(f"SELECT name FROM ({values}) t ORDER BY {sql.instant('t.at')}")

    # then
    assert [row[0] for row in rows] == ["noon", "eleven"]


async def test_placeholders_follow_the_dialect_and_a_list_is_one_parameter(server: str):
    # given
    sql = Sql(connections.get("default"))

    # when
    statement = f"SELECT {sql.bind(7)} + 0 WHERE {sql.among(sql.bind(3), [1, 2, 3])}"

    # then
    assert len(sql.values) == 3
    assert ("$3" in statement) if sql.postgres else ("$" not in statement)
    assert await _one(sql, statement) == 7
    assert sql.for_update() == (" FOR UPDATE" if sql.postgres else "")
