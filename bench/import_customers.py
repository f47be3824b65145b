"""Benchmark: a customer CSV with contact columns imported end to end, beside PostgreSQL COPY.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python -m bench.import_customers [--rows 100000]

Creates (and drops) a database of its own. The import goes through the real job runner
(file stored on the job, read as a stream, mapped, validated, matched, committed in
chunks with its checkpoint); the baseline COPYs the same rows into the same tables.
Prints rows/s for both, their ratio, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse


def _csv(rows: int) -> bytes:
    lines = ["客户名称,电话,邮箱,类型,线索来源,联系人,联系人电话,标签"]
    for i in range(rows):
        lines.append(
            f"客户{i:06d}有限公司,+86 139{i:08d},c{i}@example.cn,企业,展会,"
            f"联系人{i},137{i:08d},重点客户、VIP"
        )
    return ("\n".join(lines) + "\n").encode("gb18030")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(rows: int) -> None:
    base = os.environ.get("BENCH_DATABASE_URL")
    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    url = (
        urlunparse(urlparse(base)._replace(path=f"/{name}"))
        if base
        else f"sqlite://{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    )
    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench", LOG_LEVEL="WARNING")
    from tortoise import Tortoise

    from crm.db import tortoise_config
    from crm.migrations import apply_migrations
    from crm.settings import get_settings
    from domain import accounts
    from domain.imports.jobs import ImportRequest, start_import
    from domain.imports.runner import run_import
    from domain.viewer import Viewer
    from models import ImportJob
    from models.enums import ImportKind, ImportMode

    get_settings.cache_clear()
    await apply_migrations(url, create_db=base is not None)
    await Tortoise.init(config=tortoise_config(url))
    try:
        data = _csv(rows)
        before = _peak_mb()
        user = await accounts.sign_up(
            workspace_name="Bench",
            name="Bench",
            email=f"b{uuid.uuid4().hex[:6]}@example.com",
            password="bench-password",
            timezone="UTC",
        )
        viewer = Viewer(workspace_id=user.workspace_id, role=user.role, user_id=user.id)
        started = time.perf_counter()
        job, _ = await start_import(
            viewer,
            ImportRequest(
                kind=ImportKind.CUSTOMERS, mode=ImportMode.CREATE, file=data, file_name="bench.csv"
            ),
        )
        await run_import(job.id)
        import_seconds = time.perf_counter() - started
        done = await ImportJob.get(id=job.id)
        assert done.created_count == rows, (done.created_count, done.failed_count)
        print(f"{rows:,} customer rows with contacts ({len(data) / 1e6:.1f} MB GB18030 CSV):")
        print(
            f"  import (upload to COMPLETED) {import_seconds:7.2f} s  "
            f"{rows / import_seconds:9,.0f} rows/s"
        )
        if base is not None:
            copy_seconds = await _copy_baseline(user, rows)
            print(
                f"  PostgreSQL COPY, same rows   {copy_seconds:7.2f} s  "
                f"{rows / copy_seconds:9,.0f} rows/s"
            )
            print(f"  import / COPY time = {import_seconds / copy_seconds:.1f}×")
        print(f"  peak resident memory {_peak_mb():.0f} MB (before the import: {before:.0f} MB)")
    finally:
        await Tortoise.close_connections()
        if base is not None:
            import asyncpg

            admin = await asyncpg.connect(urlunparse(urlparse(url)._replace(path="/postgres")))
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


async def _copy_baseline(user, rows: int) -> float:
    """COPY the same customers and contacts into a second workspace's rows."""
    import asyncpg

    from models import Workspace

    workspace = await Workspace.create(name="COPY baseline", timezone="UTC")
    raw = await asyncpg.connect(_dsn())
    try:
        now = datetime.now(UTC)
        started = time.perf_counter()
        first_id = await raw.fetchval("SELECT nextval('customer_id_seq')")
        await raw.execute(f"SELECT setval('customer_id_seq', {first_id + rows})")
        customers = [
            (
                first_id + i,
                workspace.id,
                f"客户{i:06d}有限公司",
                "COMPANY",
                f"+86 139{i:08d}",
                f"139{i:08d}",
                f"c{i}@example.cn",
                "展会",
                '["重点客户","VIP"]',
                "\n重点客户\nVIP\n",
                "{}",
                "[]",
                user.id,
                now,
                now,
            )
            for i in range(rows)
        ]
        await raw.copy_records_to_table(
            "customer",
            records=customers,
            columns=[
                "id",
                "workspace_id",
                "name",
                "kind",
                "phone",
                "phone_normalized",
                "email",
                "lead_source",
                "tags",
                "tags_index",
                "custom_fields",
                "score_breakdown",
                "owner_id",
                "created_at",
                "updated_at",
            ],
        )
        await raw.copy_records_to_table(
            "contact",
            records=[
                (
                    workspace.id,
                    first_id + i,
                    f"联系人{i}",
                    f"137{i:08d}",
                    f"137{i:08d}",
                    True,
                    "{}",
                    now,
                    now,
                )
                for i in range(rows)
            ],
            columns=[
                "workspace_id",
                "customer_id",
                "name",
                "phone",
                "phone_normalized",
                "is_primary",
                "custom_fields",
                "created_at",
                "updated_at",
            ],
        )
        return time.perf_counter() - started
    finally:
        await raw.close()


def _dsn() -> str:
    parts = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parts._replace(scheme="postgresql"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    asyncio.run(run(parser.parse_args().rows))


if __name__ == "__main__":
    main()
