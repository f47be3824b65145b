"""On SQLite, the indexes and unique constraints the models declare but the database lost.

SQLite cannot alter a column, so Tortoise rebuilds the table for an AlterField (0004 did,
for customer and contact), and its rebuild keeps the columns but not the table's indexes
or UNIQUE constraints. A SQLite database made by these migrations had so lost customer's
list indexes, contact's `(customer_id, is_primary, id)` and customer's UNIQUE
`(workspace_id, external_id)`: the guarantee that an integrator's id names one customer.
This makes what is missing, under the names Tortoise gives them, so that later
migrations find them. PostgreSQL kept everything; nothing is done there.

If a workspace already holds two records with one such key (the API and the imports
refuse that, so only a race could have made them), the migration stops and names them:
which record keeps the key is for a person to decide, not for a migration.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class DuplicateKeys(RuntimeError):
    pass


async def restore_lost_indexes(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    for model in apps.get_models_iterable():
        table = model._meta.db_table
        _, indexes = await client.execute_query(f'PRAGMA index_list("{table}")')
        names = {row[1] for row in indexes}
        unique_columns = set()
        for row in indexes:
            if row[2]:  # a unique index, or a UNIQUE constraint's
                _, columns = await client.execute_query(f'PRAGMA index_info("{row[1]}")')
                unique_columns.add(tuple(column[2] for column in columns))
        for index in model._meta.indexes:
            if (
                isinstance(index, Index)
                and schema_editor._index_name_for_model(model, index) not in names
            ):
                await schema_editor.add_index(model, index)
        for fields in model._meta.unique_together:
            columns = schema_editor._resolve_fields_to_columns(model, fields)
            if tuple(columns) in unique_columns:
                continue
            await _refuse_duplicates(client, table, columns)
            name = schema_editor._get_unique_constraint_name(model, columns)
            quoted = ", ".join(f'"{column}"' for column in columns)
            await schema_editor._run_sql(f'CREATE UNIQUE INDEX "{name}" ON "{table}" ({quoted})')


async def _refuse_duplicates(client, table: str, columns: list[str]) -> None:
    quoted = ", ".join(f'"{column}"' for column in columns)
    present = " AND ".join(f'"{column}" IS NOT NULL' for column in columns)
    _, rows = await client.execute_query(
        f'SELECT {quoted}, COUNT(*) FROM "{table}" WHERE {present} '
        f"GROUP BY {quoted} HAVING COUNT(*) > 1 LIMIT 5"
    )
    if rows:
        listed = "; ".join(", ".join(str(value) for value in row[:-1]) for row in rows)
        raise DuplicateKeys(
            f"{table} holds records sharing ({', '.join(columns)}), which must be unique: "
            f"{listed}. Give each its own key (or none), then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0010_customer_name_lookup_index")]

    initial = False

    operations = [
        # Not reversed: these belong to the models since 0001.
        ops.RunPython(restore_lost_indexes, ops.RunPython.noop),
    ]
