"""Migration 0010: on PostgreSQL, finding a workspace's customers by name uses an index.

Imports link contacts, activities and deals to their customer by `customer.name`, and may
match customers on name, through `LOWER(name)`; without `(workspace_id, LOWER(name))`
every chunk scanned the whole workspace (about 1 s per chunk at 200,000 customers).
SQLite keeps no such index: its LOWER is a Python function installed per connection.
"""

from typing import Any

from tortoise import connections

from domain import sql
from domain.imports.customer_rows import _MATCH_COLUMNS
from domain.imports.links import named
from models import Customer
from tests.factories import viewer_of
from tests.helpers import Account

INDEX = "customer_workspace_lower_name_idx"


async def _plan(db: Any, sql: str, params: list[Any]) -> str:
    """The plan PostgreSQL would pick for `sql` if it could avoid scanning the table
    (a test database is too small for the planner to prefer an index on its own)."""
    async with db._in_transaction() as transaction:
        await transaction.execute_script("SET LOCAL enable_seqscan TO off")
        _, rows = await transaction.execute_query(f"EXPLAIN {sql}", params)
    return "\n".join(str(row[0]) for row in rows)


async def test_a_name_lookup_by_the_import_links_uses_the_index(workspace: Account):
    # given
    db = connections.get("default")
    scope = Customer.filter(workspace_id=(await viewer_of(workspace)).workspace_id)
    query = named(scope, {"上海云帆科技有限公司", "acme"}).values("id")

    # when / then
    if sql.is_postgres(db):
        assert INDEX in await _plan(db, query.sql(params_inline=True), [])
    else:
        _, rows = await db.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?", [INDEX]
        )
        assert rows == []


async def test_a_name_match_by_a_customer_import_uses_the_index(workspace: Account):
    # given: the lookup a chunk runs when it matches on name
    db = connections.get("default")
    expression, sql_type = _MATCH_COLUMNS["name"]
    lookup = (
        f'SELECT "id" FROM "customer" WHERE "workspace_id" = {sql.placeholder(db, 1)} '
        f"AND {sql.any_of(db, expression, 2, sql_type)}"
    )
    params = [
        (await viewer_of(workspace)).workspace_id,
        sql.list_parameter(db, ["上海云帆科技有限公司", "acme"]),
    ]

    # when / then: PostgreSQL can answer it from the index; SQLite has none to use
    if sql.is_postgres(db):
        assert INDEX in await _plan(db, lookup, params)
    else:
        _, plan = await db.execute_query(f"EXPLAIN QUERY PLAN {lookup}", params)
        assert INDEX not in " ".join(str(step) for row in plan for step in row)
