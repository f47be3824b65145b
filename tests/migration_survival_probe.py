"""Run by test_migrations.py in a process of its own: migrates a fresh SQLite database to
0003 (the last migration before Tortoise first rebuilt `customer`), puts a customer and
what refers to it in, migrates to the head as `crm migrate` does and prints what survived.

A process of its own because migrating re-initialises Tortoise, which the suite's server uses.
"""

from __future__ import annotations

import asyncio
import json
import sys

from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from crm.db import tortoise_config
from crm.migrations import apply_migrations

BEFORE_THE_FIRST_REBUILD = "models.0003_import_jobs"
ROWS = [
    "INSERT INTO workspace (id, name, timezone, default_currency, created_at) "
    "VALUES (1, 'A', 'UTC', 'CNY', '2024-01-01')",
    "INSERT INTO app_user (id, workspace_id, name, email, password_hash, role, timezone, "
    "is_active, created_at) VALUES (1, 1, 'Ada', 'ada@example.com', 'h', 'ADMIN', 'UTC', 1, "
    "'2024-01-01')",
    "INSERT INTO customer (id, workspace_id, name, kind, tags, tags_index, owner_id, "
    "custom_fields, score_breakdown, created_at, updated_at) VALUES "
    "(1, 1, 'C', 'COMPANY', '[]', '', 1, '{}', '[]', '2024-01-01', '2024-01-01')",
    "INSERT INTO contact (id, workspace_id, customer_id, name, is_primary, created_at, "
    "updated_at) VALUES (1, 1, 1, '王伟', 1, '2024-01-01', '2024-01-01')",
    "INSERT INTO activity (id, workspace_id, customer_id, author_id, kind, occurred_at, "
    "content, created_at) VALUES (1, 1, 1, 1, 'CALL', '2024-01-01', 'x', '2024-01-01')",
    "INSERT INTO reminder (id, workspace_id, customer_id, user_id, due_at, status, "
    "created_at, updated_at) VALUES (1, 1, 1, 1, '2024-01-02', 'PENDING', '2024-01-01', "
    "'2024-01-01')",
]
COUNTS = {
    "customers": "SELECT COUNT(*) FROM customer",
    "contacts": "SELECT COUNT(*) FROM contact",
    "activities": "SELECT COUNT(*) FROM activity",
    "reminders": "SELECT COUNT(*) FROM reminder",
    "owned": "SELECT COUNT(*) FROM customer WHERE owner_id = 1",
}


async def main(url: str) -> None:
    config = tortoise_config(url)
    async with TortoiseContext() as context:
        await context.init(config=config)
        await migrate(config=config, target=BEFORE_THE_FIRST_REBUILD)
        db = connections.get("default")
        for sql in ROWS:
            await db.execute_script(sql)
        await connections.close_all()
    await apply_migrations(url)
    async with TortoiseContext() as context:
        await context.init(config=config)
        db = connections.get("default")
        found = {}
        for name, sql in COUNTS.items():
            _, rows = await db.execute_query(sql)
            found[name] = rows[0][0]
        await connections.close_all()
    print(json.dumps(found))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
