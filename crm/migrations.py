"""Applying the committed Tortoise migrations (PostgreSQL or SQLite)."""

from __future__ import annotations

from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from crm.db import tortoise_config


async def apply_migrations(db_url: str | None = None, *, create_db: bool = False) -> None:
    config = tortoise_config(db_url)
    async with TortoiseContext() as context:
        await context.init(config=config, _create_db=create_db)
        await migrate(config=config)
