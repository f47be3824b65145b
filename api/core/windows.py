"""One page of children for many parents in one SQL statement (window functions).

`customers(first: 30) { contacts(first: 5) { … } }` must not run 30 queries:
the contacts loader collects the 30 customer ids and asks for

    SELECT * FROM (
      SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.customer_id ORDER BY …) AS _rn,
             COUNT(*) OVER (PARTITION BY t.customer_id) AS _total
      FROM contact t WHERE t.workspace_id = ? AND t.customer_id IN (…)
    ) w WHERE (w._rn > :offset AND w._rn <= :offset + :limit + 1) OR w._rn = 1

which PostgreSQL and SQLite (≥ 3.25) both run. Every value is a bound parameter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.models import Model

from domain.sql import Sql

ModelT = TypeVar("ModelT", bound=Model)


@dataclass
class ChildPage(Generic[ModelT]):
    rows: list[ModelT]
    offset: int
    has_more: bool
    total: int


async def child_pages(
    model: type[ModelT],
    *,
    parent_column: str,
    parent_ids: Sequence[int],
    order_by: Sequence[tuple[str, bool]],
    workspace_id: int,
    limit: int,
    offset: int = 0,
    equals: dict[str, Any] | None = None,
) -> dict[int, ChildPage[ModelT]]:
    """Pages of `model` rows per parent: `limit` rows after `offset`, newest per `order_by`.

    `order_by` holds (column, descending) pairs; column names come from code, never input.
    `equals` holds column values the rows must have (None: the column is NULL).
    """
    connection = model._meta.db
    sql = Sql(connection)
    table = model._meta.db_table
    order = ", ".join(f't."{column}" {"DESC" if desc else "ASC"}' for column, desc in order_by)
    where = [f't."workspace_id" = {sql.bind(workspace_id)}']
    where.append(f't."{parent_column}" IN ({", ".join(sql.bind(int(pid)) for pid in parent_ids)})')
    for column, value in (equals or {}).items():
        where.append(
            f't."{column}" IS NULL' if value is None else f't."{column}" = {sql.bind(value)}'
        )
    low = sql.bind(offset)
    high = sql.bind(offset + limit + 1)
    statement = (
        f"SELECT * FROM (SELECT t.*, "
        f'ROW_NUMBER() OVER (PARTITION BY t."{parent_column}" ORDER BY {order}) AS _rn, '
        f'COUNT(*) OVER (PARTITION BY t."{parent_column}") AS _total '
        f'FROM "{table}" t WHERE {" AND ".join(where)}) w '
        # Row 1 always comes along: it carries the total even for a page past the end.
        f"WHERE (w._rn > {low} AND w._rn <= {high}) OR w._rn = 1 "
        f'ORDER BY w."{parent_column}", w._rn'
    )
    rows = await sql.dicts(statement)
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[parent_column]].append(row)
    pages: dict[int, ChildPage[ModelT]] = {}
    for parent_id in parent_ids:
        found = grouped.get(parent_id, [])
        total = int(found[0]["_total"]) if found else 0
        in_page = [row for row in found if row["_rn"] > offset]
        pages[parent_id] = ChildPage(
            rows=[model._init_from_db(**row) for row in in_page[:limit]],
            offset=offset,
            has_more=len(in_page) > limit,
            total=total,
        )
    return pages
