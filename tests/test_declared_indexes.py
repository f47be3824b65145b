"""Every index and unique key the models declare exists in the database, on either one.

On SQLite, Tortoise's table rebuilds (for an AlterField) had dropped customer's and
contact's indexes and customer's UNIQUE (workspace_id, external_id); migration 0011 makes
what is missing and refuses to paper over records that already break a unique key.
"""

import importlib
from typing import Any

import pytest
from tortoise import Tortoise, connections
from tortoise.exceptions import IntegrityError
from tortoise.indexes import Index

from domain import sql
from models import Customer
from tests.factories import viewer_of
from tests.helpers import Account

migration = importlib.import_module("models.migrations.0011_sqlite_lost_indexes")

PG_INDEXES = """
SELECT i.indisunique, array_agg(a.attname::text ORDER BY k.n)
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = $1::regclass
GROUP BY i.indexrelid, i.indisunique
"""


async def _indexes(db: Any, table: str) -> set[tuple[bool, tuple[str, ...]]]:
    """(unique, columns in order) of each index on `table`."""
    if sql.is_postgres(db):
        _, rows = await db.execute_query(PG_INDEXES, [table])
        return {(row[0], tuple(row[1])) for row in rows}
    _, listed = await db.execute_query(f'PRAGMA index_list("{table}")')
    found = set()
    for row in listed:
        _, columns = await db.execute_query(f'PRAGMA index_info("{row[1]}")')
        found.add((bool(row[2]), tuple(column[2] for column in columns)))
    return found


async def test_every_declared_index_and_unique_key_exists(workspace: Account):
    db = connections.get("default")
    missing = []
    for model in Tortoise.apps.get_models_iterable():
        table = model._meta.db_table
        present = await _indexes(db, table)
        columns = {columns for _, columns in present}
        for index in model._meta.indexes:
            if isinstance(index, Index) and tuple(index.field_names) not in columns:
                missing.append((table, tuple(index.field_names)))
        for fields in model._meta.unique_together:
            key = tuple(model._meta.fields_map[f].source_field or f for f in fields)
            if (True, key) not in present:
                missing.append((table, "UNIQUE", key))
    assert missing == []


async def test_two_customers_of_a_workspace_cannot_share_an_external_id(workspace: Account):
    # given
    workspace_id = (await viewer_of(workspace)).workspace_id
    await Customer.create(workspace_id=workspace_id, name="上海云帆", external_id="ERP-1")

    # when / then: the database refuses it, whatever the code above it checks
    with pytest.raises(IntegrityError):
        await Customer.create(workspace_id=workspace_id, name="北京云帆", external_id="ERP-1")


async def test_the_migration_names_duplicates_instead_of_choosing_between_them(
    workspace: Account,
):
    db = connections.get("default")
    editor = _schema_editor(db)
    if sql.is_postgres(db):
        # PostgreSQL kept its keys: the migration leaves it as it is.
        await migration.restore_lost_indexes(Tortoise.apps, editor)
        assert (True, ("workspace_id", "external_id")) in await _indexes(db, "customer")
        return
    # given: the key lost (as before 0011) and two customers sharing an external id
    workspace_id = (await viewer_of(workspace)).workspace_id
    await db.execute_script('DROP INDEX "uid_customer_workspa_5b5949"')
    try:
        for name in ("上海云帆", "北京云帆"):
            await Customer.create(workspace_id=workspace_id, name=name, external_id="ERP-9")

        # when / then
        with pytest.raises(migration.DuplicateKeys, match="ERP-9"):
            await migration.restore_lost_indexes(Tortoise.apps, editor)
    finally:
        await Customer.filter(workspace_id=workspace_id, external_id="ERP-9").delete()
        await migration.restore_lost_indexes(Tortoise.apps, editor)
    assert (True, ("workspace_id", "external_id")) in await _indexes(db, "customer")


def _schema_editor(db: Any) -> Any:
    from tortoise.migrations.schema_editor import AsyncpgSchemaEditor, SqliteSchemaEditor

    editor = AsyncpgSchemaEditor if sql.is_postgres(db) else SqliteSchemaEditor
    return editor(db, atomic=False)
