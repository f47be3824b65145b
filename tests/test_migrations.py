"""The committed migrations describe the models exactly: `make migrations` would add nothing."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PENDING_CHANGES = """
import asyncio, sys
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from crm.db import tortoise_config

async def main():
    config = tortoise_config(sys.argv[1])
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    for writer in writers:
        print(writer.name, [type(op).__name__ for op in writer.operations])

asyncio.run(main())
"""


def test_models_and_migrations_agree(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-c", PENDING_CHANGES, f"sqlite://{tmp_path / 'detect.sqlite3'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", f"run `make migrations` and commit: {result.stdout}"


def test_sqlite_upgrades_keep_the_rows_that_refer_to_a_rebuilt_table(tmp_path: Path):
    # given: a SQLite database at 0003 with a customer, its contact, activity and reminder
    # (0004 then alters customer's columns, which SQLite can only do by rebuilding the table)
    url = f"sqlite://{tmp_path / 'upgrade.sqlite3'}"

    # when: it is migrated to the head as `crm migrate` does
    result = subprocess.run(
        [sys.executable, "-m", "tests.migration_survival_probe", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then: nothing that referred to the rebuilt table was deleted or emptied (with foreign
    # keys on, the rebuild's DROP TABLE deleted them all)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "customers": 1,
        "contacts": 1,
        "activities": 1,
        "reminders": 1,
        "owned": 1,
    }
