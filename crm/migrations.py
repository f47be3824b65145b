"""Applying the committed Tortoise migrations (PostgreSQL or SQLite).

On SQLite, Tortoise alters a column by rebuilding its table (create a copy, copy the rows,
DROP the old table, rename the copy). With foreign keys on, that DROP deletes every row
that refers to the table (ON DELETE CASCADE) or empties its reference (SET NULL): migration
0004's rebuild of `customer` deleted every contact, activity and reminder that way. So
SQLite's migrations run on connections with foreign keys off, as SQLite's own procedure for
altering a table asks, and every reference is checked afterwards: one left dangling stops
the run, naming it.
"""

from __future__ import annotations

import copy
from typing import Any

from tortoise.connection import connections
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from crm.db import tortoise_config


class DanglingReferences(RuntimeError):
    """Migrating left rows that refer to rows that do not exist."""


async def apply_migrations(db_url: str | None = None, *, create_db: bool = False) -> None:
    config = tortoise_config(db_url)
    sqlite = _is_sqlite(config)
    if sqlite:
        config = _foreign_keys_off(config)
    applied: list[str] = []

    def note(event: str, _app: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)

    async with TortoiseContext() as context:
        await context.init(config=config, _create_db=create_db)
        await migrate(config=config, progress=note)
        if sqlite and applied:  # the check reads every table: only after a change
            await _check_references()


def _is_sqlite(config: dict[str, Any]) -> bool:
    return config["connections"]["default"]["engine"] == "crm.sqlite_engine"


def _foreign_keys_off(config: dict[str, Any]) -> dict[str, Any]:
    """The config, its SQLite connections opened with foreign keys off (a pragma SQLite
    only honours outside a transaction: so for the whole connection, not per migration)."""
    config = copy.deepcopy(config)
    config["connections"]["default"]["credentials"]["foreign_keys"] = "OFF"
    return config


async def _check_references() -> None:
    _, dangling = await connections.get("default").execute_query("PRAGMA foreign_key_check")
    if dangling:
        shown = ", ".join(f"{row[0]} row {row[1]} → {row[2]}" for row in dangling[:10])
        raise DanglingReferences(
            f"after migrating, {len(dangling)} rows refer to rows that do not exist: {shown}"
        )
