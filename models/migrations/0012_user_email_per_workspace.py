"""A user's e-mail is unique within a workspace, no longer across all of them (1 of 2).

Signing up or inviting an e-mail used in another workspace was refused with "An account
with this e-mail already exists", which told anyone whether an address had an account.
Now one person may hold an account in several workspaces; sign-in finds them by e-mail
and asks to name the workspace when one password opens more than one. This migration
drops the UNIQUE (email); 0013 adds UNIQUE (workspace_id, email) and an index on e-mail.

On PostgreSQL that is one ALTER TABLE. On SQLite a column's UNIQUE only goes with a table
rebuild, and Tortoise's rebuild (create new__app_user, copy, DROP app_user, rename) runs
with foreign keys on: dropping app_user deletes what refers to it, so every reminder
(ON DELETE CASCADE) would be deleted and every owner, author and API key creator set to
NULL. SQLite's own procedure is followed instead: foreign keys off (which SQLite allows
only outside a transaction, hence `atomic = False`), then in one transaction the rebuild,
the AUTOINCREMENT sequence kept (a deleted user's id must never be handed out again:
session tokens name user ids) and `PRAGMA foreign_key_check`; foreign keys on again.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.transactions import in_transaction

_COLUMNS = (
    '"id", "workspace_id", "name", "email", "password_hash", "role", "timezone", '
    '"is_active", "created_at"'
)


def _create_table(name: str, email_unique: bool) -> str:
    unique = " UNIQUE" if email_unique else ""
    return (
        f'CREATE TABLE "{name}" ('
        '"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
        '"workspace_id" BIGINT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE, '
        '"name" VARCHAR(200) NOT NULL, '
        f'"email" VARCHAR(254) NOT NULL{unique}, '
        '"password_hash" VARCHAR(255) NOT NULL, '
        '"role" VARCHAR(16) NOT NULL, '
        '"timezone" VARCHAR(64) NOT NULL, '
        '"is_active" INT NOT NULL, '
        '"created_at" TIMESTAMP NOT NULL)'
    )


async def _rebuild_sqlite_table(schema_editor, *, email_unique: bool) -> None:
    client = schema_editor.client
    # Off for the rebuild; afterwards as it was (crm.migrations runs SQLite's with them off).
    _, state = await client.execute_query("PRAGMA foreign_keys")
    was_on = bool(state and state[0][0])
    await client.execute_script("PRAGMA foreign_keys = OFF")
    try:
        async with in_transaction(client.connection_name) as db:
            _, rows = await db.execute_query(
                "SELECT seq FROM sqlite_sequence WHERE name = 'app_user'"
            )
            sequence = rows[0][0] if rows else 0
            await db.execute_script(_create_table("new__app_user", email_unique))
            await db.execute_script(
                f'INSERT INTO "new__app_user" ({_COLUMNS}) SELECT {_COLUMNS} FROM "app_user"'
            )
            await db.execute_script('DROP TABLE "app_user"')
            await db.execute_script('ALTER TABLE "new__app_user" RENAME TO "app_user"')
            await db.execute_query("DELETE FROM sqlite_sequence WHERE name = 'app_user'")
            await db.execute_query(
                "INSERT INTO sqlite_sequence (name, seq) "
                "SELECT 'app_user', MAX(?, COALESCE(MAX(id), 0)) FROM app_user",
                [sequence],
            )
            _, dangling = await db.execute_query("PRAGMA foreign_key_check")
            if dangling:
                rows = [tuple(row) for row in dangling[:5]]
                raise RuntimeError(f"rebuilding app_user left dangling references: {rows}")
    finally:
        if was_on:
            await client.execute_script("PRAGMA foreign_keys = ON")


class AlterUserEmail(ops.AlterField):
    """Tortoise's AlterField, except that SQLite's table rebuild keeps what refers to users."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor and state_editor.client.capabilities.dialect == "sqlite":
            await _rebuild_sqlite_table(state_editor, email_unique=False)
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor and state_editor.client.capabilities.dialect == "sqlite":
            await _rebuild_sqlite_table(state_editor, email_unique=True)
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [("models", "0011_sqlite_lost_indexes")]

    initial = False
    # SQLite turns foreign keys off only outside a transaction; the rebuild makes its own.
    atomic = False

    operations = [
        AlterUserEmail(
            model_name="User",
            name="email",
            field=fields.CharField(max_length=254),
        ),
    ]
