"""Run by test_email_migration.py in a process of its own: migrates a fresh database to 0011,
puts a user and what refers to it in, migrates to the head and prints what survived as JSON.

A process of its own because migrating re-initialises Tortoise, which the suite's server uses.
"""

from __future__ import annotations

import asyncio
import json
import sys

from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate

from crm.db import tortoise_config

BEFORE = "models.0011_sqlite_lost_indexes"
ROWS = [
    "INSERT INTO workspace (id, name, timezone, default_currency, created_at) "
    "VALUES (1, 'A', 'UTC', 'CNY', '2024-01-01'), (2, 'B', 'UTC', 'CNY', '2024-01-01')",
    # Users 1 and 2; user 3 was deleted, so the sequence stands above the highest id left.
    "INSERT INTO app_user (id, workspace_id, name, email, password_hash, role, timezone, "
    "is_active, created_at) VALUES "
    "(1, 1, 'Ada', 'ada@example.com', 'h', 'ADMIN', 'UTC', true, '2024-01-01'), "
    "(2, 2, 'Bo', 'bo@example.com', 'h', 'ADMIN', 'UTC', true, '2024-01-01'), "
    "(3, 2, 'Gone', 'gone@example.com', 'h', 'REP', 'UTC', true, '2024-01-01')",
    "DELETE FROM app_user WHERE id = 3",
    "INSERT INTO api_key (id, workspace_id, name, prefix, secret_hash, role, created_by_id, "
    "created_at) VALUES (1, 1, 'ERP', 'p1', 's', 'REP', 1, '2024-01-01')",
    "INSERT INTO customer (id, workspace_id, name, kind, tags, tags_index, owner_id, "
    "custom_fields, score_breakdown, created_at, updated_at) VALUES "
    "(1, 1, 'C', 'COMPANY', '[]', '', 1, '{}', '{}', '2024-01-01', '2024-01-01')",
    "INSERT INTO activity (id, workspace_id, customer_id, author_id, kind, occurred_at, "
    "content, created_at) VALUES (1, 1, 1, 1, 'CALL', '2024-01-01', 'x', '2024-01-01')",
    "INSERT INTO reminder (id, workspace_id, customer_id, user_id, due_at, status, "
    "created_at, updated_at) VALUES (1, 1, 1, 1, '2024-01-02', 'PENDING', '2024-01-01', "
    "'2024-01-01')",
]
INSERT_USER = (
    "INSERT INTO app_user (workspace_id, name, email, password_hash, role, timezone, "
    "is_active, created_at) VALUES ({workspace}, 'N', '{email}', 'h', 'REP', 'UTC', true, "
    "'2024-01-01')"
)


async def _one(db, sql: str):
    _, rows = await db.execute_query(sql)
    return [list(row) for row in rows]


async def main(url: str) -> None:
    config = tortoise_config(url)
    async with TortoiseContext() as context:
        await context.init(config=config, _create_db=url.startswith("postgres"))
        await migrate(config=config, target=BEFORE)
        db = connections.get("default")
        for sql in ROWS:
            await db.execute_script(sql)
        if url.startswith("postgres"):
            # Rows written with their ids leave PostgreSQL's sequence behind; the API's wouldn't.
            await db.execute_script("SELECT setval(pg_get_serial_sequence('app_user', 'id'), 3)")
        # Each migrate() opens its connection anew: closed here, or the process never ends.
        await connections.close_all()
        await migrate(config=config)
        db = connections.get("default")
        found = {
            "users": await _one(db, "SELECT id, workspace_id, email FROM app_user ORDER BY id"),
            "api_key_creator": await _one(db, "SELECT created_by_id FROM api_key"),
            "customer_owner": await _one(db, "SELECT owner_id FROM customer"),
            "activity_author": await _one(db, "SELECT author_id FROM activity"),
            "reminder_user": await _one(db, "SELECT user_id FROM reminder"),
            # 0014: accounts made before it count as signed into when they were made.
            "signed_in_when_made": await _one(
                db, "SELECT id FROM app_user WHERE last_signed_in_at = created_at ORDER BY id"
            ),
        }
        # The same e-mail in another workspace is welcome; twice in one workspace is not.
        await db.execute_script(INSERT_USER.format(workspace=2, email="ada@example.com"))
        try:
            await db.execute_script(INSERT_USER.format(workspace=2, email="ada@example.com"))
            found["duplicate_in_workspace"] = "accepted"
        except IntegrityError:
            found["duplicate_in_workspace"] = "refused"
        found["new_ids"] = await _one(
            db, "SELECT id FROM app_user WHERE email = 'ada@example.com' ORDER BY id"
        )
        print(json.dumps(found))
        await connections.close_all()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
