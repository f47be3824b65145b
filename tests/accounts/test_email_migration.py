"""Migration 0012: e-mails unique per workspace, and nothing that refers to a user lost.

On SQLite, Tortoise's own table rebuild would have dropped app_user with foreign keys on:
every reminder deleted, every owner, author and key creator set to NULL.
"""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from tests.ops.processes import ROOT, crm_env


async def _drop(url: str) -> None:
    import asyncpg

    parts = urlparse(url)
    admin = await asyncpg.connect(urlunparse(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parts.path[1:]}" WITH (FORCE)')
    finally:
        await admin.close()


def _fresh_database(tmp_path: Path) -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite://{tmp_path / 'before-0012.sqlite3'}"
    parts = urlparse(base)
    return urlunparse(parts._replace(path=f"/crm_test_0012_{uuid.uuid4().hex[:10]}"))


async def test_users_and_what_refers_to_them_survive_the_migration(tmp_path: Path):
    # given: a database at 0011 with users, a deleted user, and records naming user 1
    url = _fresh_database(tmp_path)

    # when
    try:
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "tests.accounts.email_migration_probe", url],
            cwd=ROOT,
            env=crm_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        if url.startswith("postgres"):
            await _drop(url)

    # then
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["users"] == [[1, 1, "ada@example.com"], [2, 2, "bo@example.com"]]
    assert found["api_key_creator"] == [[1]]
    assert found["customer_owner"] == [[1]]
    assert found["activity_author"] == [[1]]
    assert found["reminder_user"] == [[1]]
    assert found["duplicate_in_workspace"] == "refused"
    # 0014 ranks the users it finds as signed into when they were made
    assert found["signed_in_when_made"] == [[1], [2]]
    # The deleted user's id 3 is never handed out again: session tokens name user ids.
    assert found["new_ids"][0] == [1]
    assert found["new_ids"][1][0] > 3
