"""`crm seed` builds a demo workspace through the domain, once, on a fresh database."""

import subprocess
from pathlib import Path

import aiosqlite

from tests.ops.processes import CRM, crm_env


def _crm(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CRM, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


async def test_seed_builds_a_demo_workspace_once(tmp_path: Path):
    # given: an empty SQLite database, migrated
    database = f"sqlite://{tmp_path / 'seed.sqlite3'}"
    env = crm_env(DATABASE_URL=database, REDIS_URL=None, CRM_ENV="development")
    assert _crm(["migrate"], env, tmp_path).returncode == 0

    # when: seeded twice
    first = _crm(["seed", "--email", "demo@example.com"], env, tmp_path)
    second = _crm(["seed", "--email", "demo@example.com"], env, tmp_path)

    # then: one workspace with Chinese and English customers, their contacts, follow-ups, deals
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    async with aiosqlite.connect(tmp_path / "seed.sqlite3") as db:
        counts = {}
        for table in (
            "workspace",
            "app_user",
            "customer",
            "contact",
            "activity",
            "reminder",
            "opportunity",
            "line_item",
        ):
            async with db.execute(f"SELECT COUNT(*) FROM {table}") as cursor:
                counts[table] = (await cursor.fetchone())[0]
        async with db.execute("SELECT name FROM customer ORDER BY id") as cursor:
            names = [row[0] for row in await cursor.fetchall()]
    assert counts == {
        "workspace": 1,
        "app_user": 2,
        "customer": 6,
        "contact": 5,
        "activity": 6,
        "reminder": 6,
        "opportunity": 4,
        "line_item": 8,
    }
    assert "上海云帆科技有限公司" in names
    assert "Acme Robotics Inc." in names
