"""Benchmark: the instructions a customer import executes per row, counted by callgrind.

    python -m bench.import_instructions [--rows 2000] [--mode UPSERT|CREATE|UPDATE]

Wall-clock times swing with whatever else a shared machine runs; the number of
instructions executed does not (to a few tenths of a percent). So this counts them: the
script runs itself under `valgrind --tool=callgrind --instr-atstart=no` on a SQLite file
of its own. The child makes the database, a workspace and a job holding a CSV of `--rows`
customers with a contact each (the rows of `bench.import_customers`) uninstrumented, then
switches callgrind's instrumentation on (a client request from a tiny C helper it builds
with gcc and loads with ctypes) just around `run_import`, the call a worker makes, and
off again after it. Every thread counts: the driver's SQLite thread as well as Python's.
The parent prints the import's instructions in total and per row.

Run from the root of any checkout with the project installed (needs valgrind, its
headers and gcc), e.g. the same script against an older commit's worktree:

    cd /work/wt/other && /path/to/this/checkout/.venv/bin/python \\
        /path/to/this/checkout/bench/import_instructions.py --python .venv/bin/python

`--python` is the interpreter the child runs (the checkout's own). PYTHONHASHSEED is
fixed, so that two runs of one checkout execute the same instructions. For the same
reason the run's look-ups between chunks (a heartbeat UPDATE once a second of wall time:
`ChunkCommits.look`, or the older `lookout.py`) never come due: under callgrind an import
runs some fifty times slower, and how many seconds it takes depends on the machine's load.
The import modules' own `time` is given a clock that stands still; nothing else changes.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HELPER = r"""
#include <valgrind/callgrind.h>
void bench_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void bench_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""


def _helper(directory: Path) -> Path:
    """The shared library whose two functions switch callgrind's instrumentation."""
    source, library = directory / "helper.c", directory / "helper.so"
    source.write_text(_HELPER)
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", library, source], check=True)
    return library


async def _setup(rows: int, mode: str) -> int:
    """A workspace and its owner, and a queued job: the job's id."""
    from bench.import_customers import _csv  # the rows `make bench-imports` times
    from domain import accounts
    from domain.imports.jobs import ImportRequest, start_import
    from domain.viewer import Viewer
    from models.enums import ImportKind, ImportMode

    user = await accounts.sign_up(
        workspace_name="Bench",
        name="Bench",
        email="bench@example.com",
        password="bench-password",
        timezone="UTC",
    )
    viewer = Viewer(workspace_id=user.workspace_id, role=user.role, user_id=user.id)
    request = ImportRequest(
        kind=ImportKind.CUSTOMERS, mode=ImportMode(mode), file=_csv(rows), file_name="bench.csv"
    )
    job, _ = await start_import(viewer, request)
    return job.id


async def _run(url: str, rows: int, mode: str, helper: ctypes.CDLL) -> None:
    """Sets up uninstrumented, then imports with callgrind's instrumentation on."""
    from tortoise import Tortoise

    from crm.db import tortoise_config
    from crm.migrations import apply_migrations
    from domain.imports.runner import run_import
    from models import ImportJob
    from models.enums import ImportStatus

    _still_clock()
    await apply_migrations(url)
    await Tortoise.init(config=tortoise_config(url))
    try:
        job_id = await _setup(rows, mode)
        helper.bench_start()
        status = await run_import(job_id)
        helper.bench_stop()
        assert status == ImportStatus.COMPLETED, status
        job = await ImportJob.get(id=job_id)
        assert job.processed_rows == rows and not job.failed_count, (job.processed_rows, job)
    finally:
        await Tortoise.close_connections()


class _StillTime:
    """The `time` module, but for a `monotonic` clock that never moves."""

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)

    @staticmethod
    def monotonic() -> float:
        return 0.0


def _still_clock() -> None:
    """Gives every import module that imported `time` one whose monotonic clock stands still."""
    import domain.imports.runner  # noqa: F401 - loads the modules of the import subsystem

    for name, module in list(sys.modules.items()):
        if name.startswith("domain.imports.") and getattr(module, "time", None) is time:
            vars(module)["time"] = _StillTime()


def _child(rows: int, mode: str, directory: Path) -> None:
    from crm.settings import get_settings

    url = f"sqlite://{directory / 'bench.sqlite3'}"
    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench", LOG_LEVEL="WARNING")
    get_settings.cache_clear()
    helper = ctypes.CDLL(str(_helper(directory)))
    asyncio.run(_run(url, rows, mode, helper))


def _instructions(out: Path) -> int:
    """The `totals:` line of a callgrind output file: Ir, its first event. (Its `summary:`
    line says 0 when instrumentation starts off.)"""
    text = out.read_text()
    found = re.search(r"^totals:\s*(\d+)", text, re.MULTILINE)
    assert found is not None, "no totals in the callgrind output"
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--mode", default="UPSERT", choices=("UPSERT", "CREATE", "UPDATE"))
    parser.add_argument("--python", default=sys.executable, help="the child's interpreter")
    parser.add_argument("--child", metavar="DIRECTORY", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.rows, args.mode, Path(args.child))
        return
    with tempfile.TemporaryDirectory(prefix="crm-callgrind-") as name:
        directory = Path(name)
        out = directory / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            args.python,
            str(Path(__file__).resolve()),
            "--rows",
            str(args.rows),
            "--mode",
            args.mode,
            "--child",
            name,
        ]
        # The checkout the child imports is the working directory's, not this file's.
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": os.getcwd()}
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        total = _instructions(out)
    print(
        f"{args.rows} rows ({args.mode}): {total:,} instructions, {total / args.rows:,.0f} per row"
    )


if __name__ == "__main__":
    main()
