"""`crm import`: an operator imports a file into a workspace from the command line."""

from __future__ import annotations

import sys
import time

from tortoise import Tortoise

from crm.db import tortoise_config
from domain.errors import DomainError
from domain.imports.file_columns import job_columns
from domain.imports.jobs import ImportRequest, matched_by, start_import
from domain.imports.runner import run_import
from domain.imports.specs import SPECS
from domain.viewer import Viewer
from models import ImportJob, ImportRowError, Workspace
from models.enums import ImportKind, ImportMode, ImportStatus, Role

SHOWN_ERRORS = 20
# Row numbers in what it prints are the rows Excel or WPS shows (the header is row 1).


def _parse_mapping(pairs: list[str]) -> list[tuple[str, str | None]]:
    mapping = []
    for pair in pairs:
        column, separator, field = pair.partition("=")
        if not separator:
            raise SystemExit(f"crm import: --map takes COLUMN=FIELD, not “{pair}”")
        mapping.append((column, field or None))
    return mapping


async def import_file(
    data: bytes,
    file_name: str,
    *,
    workspace_id: int,
    kind: ImportKind,
    mode: ImportMode,
    match_on: list[str] | None,
    mapping: list[str],
    dry_run: bool = False,
) -> int:
    """Runs the import in this process, printing progress; returns the exit status."""
    spec = SPECS[kind]  # what the kind matches rows on, from the kinds' registry
    if unknown := [field for field in match_on or () if field not in spec.match_fields]:
        print(
            f"crm import: {kind.value.lower()} cannot be matched on {', '.join(unknown)}; "
            f"use {','.join(spec.match_fields)} (default: {','.join(spec.default_match_on)})",
            file=sys.stderr,
        )
        return 2
    await Tortoise.init(config=tortoise_config())
    try:
        if not await Workspace.exists(id=workspace_id):
            print(f"crm import: there is no workspace {workspace_id}", file=sys.stderr)
            return 2
        viewer = Viewer(workspace_id=workspace_id, role=Role.ADMIN)
        try:
            job, _ = await start_import(
                viewer,
                ImportRequest(
                    kind=kind,
                    mode=mode,
                    file=data,
                    file_name=file_name,
                    mapping=_parse_mapping(mapping) or None,
                    match_on=match_on,
                    dry_run=dry_run,
                ),
                max_bytes=sys.maxsize,  # an operator's own file: no upload limit
            )
        except DomainError as error:
            for problem in error.problems:
                print(f"crm import: {problem.field or 'input'}: {problem.message}", file=sys.stderr)
            return 2
        started = time.monotonic()

        async def show(progress: ImportJob) -> None:
            rate = progress.processed_rows / max(time.monotonic() - started, 1e-6)
            print(
                f"\r  {progress.processed_rows:>9,} rows  {rate:>8,.0f} rows/s  "
                f"{progress.status.value.lower():<9}",
                end="",
                flush=True,
            )

        status = await run_import(job.id, on_progress=show, viewer=viewer)
        print()
        return await _summary(job.id, status)
    finally:
        await Tortoise.close_connections()


async def _summary(job_id: int, status: ImportStatus | None) -> int:
    job = await ImportJob.get(id=job_id)
    would = " (dry run: nothing was written; a real run would give these)" if job.dry_run else ""
    print(
        f"import {job.id}: {job.status.value}: {job.created_count} created, "
        f"{job.updated_count} updated, {job.skipped_count} skipped, "
        f"{job.failed_count} failed{would}"
    )
    if counts := matched_by(job):
        print(f"  matched by: {', '.join(f'{key} {rows:,}' for key, rows in counts)}")
    columns = job_columns(job)
    if mapped := [f"{name} → {field}" for name, field in columns if field is not None]:
        print(f"  columns imported: {', '.join(mapped)}")
    if ignored := [name for name, field in columns if field is None]:
        print(f"  columns not imported: {', '.join(ignored)}")
    if job.failure:
        print(f"  {job.failure}")
    errors = await ImportRowError.filter(job_id=job.id).order_by("row", "id").limit(SHOWN_ERRORS)
    for error in errors:
        print(f"  row {error.row}{f' ({error.field})' if error.field else ''}: {error.message}")
    if job.failed_count > len(errors):
        print(f"  … and more: {job.failed_count} rows failed in all")
    # Non-zero when any row did not make it, so a script (or cron) running the import
    # notices: 1 for rows that failed or a job that did not complete, 2 for a refusal.
    return 0 if status == ImportStatus.COMPLETED and not job.failed_count else 1
