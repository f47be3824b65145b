"""Customers found by name in a workspace use an index; the index on kind goes.

Imports look customers up by `LOWER(name)`: contacts, activities and deals linked by
`customer.name` (a follow-up log's 客户名称 column), and customers matched on name. No
index served that, so every chunk of 1,000 rows scanned the whole workspace, computing
LOWER() of every name: about 1 s per chunk at 200,000 customers on PostgreSQL, 5 ms with
`(workspace_id, LOWER(name))`. Tortoise declares no expression index, so it is made here,
on PostgreSQL only: SQLite's LOWER is the Python function `crm/sqlite_engine.py`
installs on each connection, and an index built with it would not match what a
connection without it (the sqlite3 shell) writes.

`(workspace_id, kind)` is dropped: with two kinds it narrows a workspace by half at best,
the kind filter rides on the list's ordering index as well, and each index costs every
row an import writes, which the new one now does instead. It exists on PostgreSQL only:
on SQLite, 0001's list indexes went when 0004's AlterField had SQLite rebuild the table
(Tortoise's rebuild does not make them again).

The index is built without CONCURRENTLY (a migration runs in a transaction), so writes to
`customer` wait while it builds: seconds for a few hundred thousand customers.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

NAME_LOOKUP_INDEX = "customer_workspace_lower_name_idx"


def _is_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


class RemoveIndexOnPostgres(ops.RemoveIndex):
    """Forgets the index everywhere; drops it where it was made (see above)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and _is_postgres(state_editor):
            await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and _is_postgres(state_editor):
            await super().database_backward(app_label, old_state, new_state, state_editor)


async def create_name_lookup_index(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        await schema_editor._run_sql(  # collected, not run, when the editor only collects
            f'CREATE INDEX IF NOT EXISTS "{NAME_LOOKUP_INDEX}" '
            'ON "customer" ("workspace_id", LOWER("name"))'
        )


async def drop_name_lookup_index(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        await schema_editor._run_sql(f'DROP INDEX IF EXISTS "{NAME_LOOKUP_INDEX}"')


class Migration(migrations.Migration):
    dependencies = [("models", "0009_reminder_announced_at")]

    initial = False

    operations = [
        RemoveIndexOnPostgres(
            model_name="Customer",
            name=None,
            fields=["workspace_id", "kind"],
        ),
        ops.RunPython(create_name_lookup_index, drop_name_lookup_index),
    ]
