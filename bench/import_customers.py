"""Benchmark: a customer CSV with contact columns imported end to end, beside PostgreSQL COPY.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python -m bench.import_customers [--rows 100000 200000]

For each size, a database of its own is made (and dropped) and a GB18030 CSV with
Chinese headers is stored on an import job. A child process then does what an import
worker does, and only that: `run_import` reads the stored file as a stream, maps,
checks, matches and commits it in chunks with its checkpoint until the job is COMPLETED.
The child reports its time and its peak resident memory, so neither the CSV generation
nor the baseline counts in them; the memory should not grow with the file, beyond the
file itself (the job's payload, loaded whole). The baseline then COPYs the same rows
into the same tables (a second workspace), in the same run. Without BENCH_DATABASE_URL
the import runs on a SQLite file and there is no baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

HEADER = "客户名称,电话,邮箱,类型,线索来源,联系人,联系人电话,标签"


def _csv(rows: int) -> bytes:
    lines = [HEADER]
    for i in range(rows):
        lines.append(
            f"客户{i:06d}有限公司,+86 139{i:08d},c{i}@example.cn,企业,展会,"
            f"联系人{i},137{i:08d},重点客户、VIP"
        )
    return ("\n".join(lines) + "\n").encode("gb18030")


def _peak_mb() -> float:
    """This process's peak resident memory since it started its program.

    Linux's VmHWM, not ru_maxrss: a child's ru_maxrss also counts the parent's memory it
    was forked with, before it exec'd.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kilobytes) / 1024


async def _open(url: str) -> None:
    from tortoise import Tortoise

    from crm.db import tortoise_config
    from crm.settings import get_settings

    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench", LOG_LEVEL="WARNING")
    get_settings.cache_clear()
    await Tortoise.init(config=tortoise_config(url))


# ---------------------------------------------------------------- the worker's part


async def _run_job(url: str, job_id: int) -> dict[str, float]:
    """In the child: the job, from its stored file to COMPLETED, as a worker runs it."""
    from tortoise import Tortoise

    from domain.imports.runner import progress_message, run_import
    from models import ImportJob
    from models.enums import ImportStatus

    async def publish(job: ImportJob) -> None:
        json.dumps(progress_message(job))  # what a worker sends to Redis after each chunk

    await _open(url)
    try:
        before = _peak_mb()
        started, cpu_started = time.perf_counter(), time.process_time()
        status = await run_import(job_id, on_progress=publish)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        assert status == ImportStatus.COMPLETED, status
    finally:
        await Tortoise.close_connections()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": _peak_mb(),
        "before_mb": before,
    }


def _import_in_child(url: str, job_id: int) -> dict[str, float]:
    child = subprocess.run(
        [sys.executable, "-m", "bench.import_customers", "--child-job", str(job_id)],
        env={**os.environ, "BENCH_CHILD_DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- one size


async def _measure(base: str | None, rows: int) -> dict[str, float]:
    from tortoise import Tortoise

    from crm.migrations import apply_migrations
    from domain import accounts
    from domain.imports.jobs import ImportRequest, start_import
    from domain.viewer import Viewer
    from models import ImportJob
    from models.enums import ImportKind, ImportMode

    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    directory = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    url = (
        urlunparse(urlparse(base)._replace(path=f"/{name}"))
        if base
        else f"sqlite://{directory / 'bench.sqlite3'}"
    )
    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench", LOG_LEVEL="WARNING")
    await apply_migrations(url, create_db=base is not None)
    await _open(url)
    try:
        data = _csv(rows)
        user = await accounts.sign_up(
            workspace_name="Bench",
            name="Bench",
            email=f"b{uuid.uuid4().hex[:6]}@example.com",
            password="bench-password",
            timezone="UTC",
        )
        viewer = Viewer(workspace_id=user.workspace_id, role=user.role, user_id=user.id)
        job, _ = await start_import(
            viewer,
            ImportRequest(
                kind=ImportKind.CUSTOMERS, mode=ImportMode.CREATE, file=data, file_name="bench.csv"
            ),
        )
        del data
        result = _import_in_child(url, job.id)
        done = await ImportJob.get(id=job.id)
        assert done.created_count == rows, (done.created_count, done.failed_count)
        result.update(rows=rows, megabytes=len(done.payload or b"") / 1e6)
        if base is not None:
            result["copy_seconds"] = await _copy_baseline(url, user, rows)
        return result
    finally:
        await Tortoise.close_connections()
        shutil.rmtree(directory, ignore_errors=True)
        if base is not None:
            import asyncpg

            admin = await asyncpg.connect(
                _dsn(urlunparse(urlparse(url)._replace(path="/postgres")))
            )
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


async def _copy_baseline(url: str, user, rows: int) -> float:
    """COPY the same customers and contacts into a second workspace's rows."""
    import asyncpg

    from models import Workspace

    workspace = await Workspace.create(name="COPY baseline", timezone="UTC")
    raw = await asyncpg.connect(_dsn(url))
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


def _dsn(url: str) -> str:
    return urlunparse(urlparse(url)._replace(scheme="postgresql"))


# ---------------------------------------------------------------- report


def _report(results: list[dict[str, float]]) -> None:
    print("Customer rows with a contact each, GB18030 CSV with Chinese headers.")
    print("import: run_import from the file stored on the job to COMPLETED (worker process);")
    print("COPY: PostgreSQL binary COPY of the same rows into the same tables, same run.\n")
    print(
        f"{'rows':>9} {'file':>8} {'import':>9} {'rows/s':>8} {'COPY':>8} {'rows/s':>8} "
        f"{'import/COPY':>12} {'worker CPU':>11} {'worker peak RSS':>16}"
    )
    for r in results:
        copy = (
            f"{r['copy_seconds']:7.2f}s {r['rows'] / r['copy_seconds']:8,.0f} "
            f"{r['seconds'] / r['copy_seconds']:11.2f}×"
            if "copy_seconds" in r
            else f"{'-':>8} {'-':>8} {'-':>12}"
        )
        print(
            f"{r['rows']:9,} {r['megabytes']:6.1f}MB {r['seconds']:8.2f}s "
            f"{r['rows'] / r['seconds']:8,.0f} {copy} {r['cpu_seconds']:10.2f}s "
            f"{r['peak_mb']:7.0f} MB (+{r['peak_mb'] - r['before_mb']:.0f})"
        )
    print("\nworker CPU: the import's own CPU time (the rest of its time it waits on PostgreSQL)")
    print("worker peak RSS: the child's high-water mark (+ its growth during run_import)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--child-job", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_job is not None:
        url = os.environ["BENCH_CHILD_DATABASE_URL"]
        print(json.dumps(asyncio.run(_run_job(url, args.child_job))))
        return
    base = os.environ.get("BENCH_DATABASE_URL")
    _report(asyncio.run(_measure_all(base, args.rows)))


async def _measure_all(base: str | None, sizes: list[int]) -> list[dict[str, float]]:
    return [await _measure(base, rows) for rows in sizes]


if __name__ == "__main__":
    main()
