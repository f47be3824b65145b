"""Running an import job: rows in chunks, each committed with the job's counters and checkpoint.

A chunk's rows, its row errors, the job's counters and its checkpoint (`next_row`) are
written in ONE transaction. Whatever instant a worker dies at, the database holds either
all of a chunk or none of it, and the next worker starts at the checkpoint: no row is
lost, none is applied twice.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.errors import DomainError
from domain.imports.customer_rows import ChunkResult, apply_customer_rows
from domain.imports.jobs import STALE_AFTER, claim
from domain.imports.mapping import ColumnMapping, build_mapping
from domain.imports.readers import read_rows
from domain.imports.rows import ImportFileError, RawRow, RowProblem
from domain.viewer import Viewer
from models import Customer, ImportJob, ImportRowError, User
from models.enums import ImportKind, ImportStatus, Role

CHUNK_SIZE = 1000

Applier = Callable[..., Awaitable[ChunkResult]]
APPLIERS: dict[ImportKind, Applier] = {ImportKind.CUSTOMERS: apply_customer_rows}
ProgressCallback = Callable[[ImportJob], Awaitable[None]]


class _TakenOver(Exception):
    """Another worker claimed the job (ours looked dead): this one must stop, writing nothing."""


async def _acting_viewer(job: ImportJob) -> Viewer:
    """The import acts as the person who started it, with their role today."""
    user = (
        await User.get_or_none(id=job.created_by_id, is_active=True) if job.created_by_id else None
    )
    if user is None:
        return Viewer(workspace_id=job.workspace_id, role=Role.REP)
    return Viewer(workspace_id=job.workspace_id, role=user.role, user_id=user.id)


async def _finish(job: ImportJob, status: ImportStatus, failure: str | None = None) -> None:
    now = datetime.now(UTC)
    await ImportJob.filter(id=job.id).update(
        status=status,
        finished_at=now,
        heartbeat_at=now,
        failure=failure,
        total_rows=F("processed_rows"),
    )


async def run_import(
    job_id: int,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: ProgressCallback | None = None,
    chunk_size: int = CHUNK_SIZE,
    stale_after: timedelta = STALE_AFTER,
) -> ImportStatus | None:
    """Runs (or resumes) the job; returns its status, or None if another worker has it.

    `should_stop` is asked after every committed chunk (a worker told to shut down says
    yes): the job goes back to QUEUED at its checkpoint for another worker to resume.
    """
    job = await claim(job_id, stale_after=stale_after)
    if job is None:
        return None
    apply = APPLIERS.get(job.kind)
    if apply is None:
        await _finish(
            job, ImportStatus.FAILED, f"{job.kind.value.title()} imports are not available yet."
        )
        return ImportStatus.FAILED
    viewer = await _acting_viewer(job)
    try:
        rows = read_rows(
            io.BytesIO(job.payload or b""), filename=job.file_name or "file", sheet=job.sheet
        )
        mapping: ColumnMapping | None = None
        chunk: list[tuple[int, RawRow | RowProblem]] = []
        chunks_done = 0
        for number, values in rows:
            if mapping is None and isinstance(values, dict):
                mapping = build_mapping(list(values), [tuple(pair) for pair in job.mapping or []])
                if job.next_row == 1:
                    await ImportJob.filter(id=job.id).update(
                        unmapped_columns=mapping.unmapped_columns
                    )
            if number < job.next_row:
                continue  # committed by an earlier run
            chunk.append((number, values))
            if len(chunk) >= chunk_size:
                if await _stop_requested(job, on_progress):
                    return ImportStatus.CANCELLED
                await _commit_chunk(job, viewer, apply, mapping, chunk, on_progress)
                chunk = []
                chunks_done += 1
                await _refresh_statistics(chunks_done)
                if should_stop():
                    await ImportJob.filter(id=job.id).update(
                        status=ImportStatus.QUEUED, heartbeat_at=None
                    )
                    return ImportStatus.QUEUED
        if chunk:
            if await _stop_requested(job, on_progress):
                return ImportStatus.CANCELLED
            await _commit_chunk(job, viewer, apply, mapping, chunk, on_progress)
    except (ImportFileError, DomainError) as error:
        # The file as a whole is unusable (unreadable, bad mapping): what was committed stays.
        await _finish(job, ImportStatus.FAILED, str(error))
        return ImportStatus.FAILED
    except _TakenOver:
        return None
    await _finish(job, ImportStatus.COMPLETED)
    if on_progress is not None:
        await on_progress(await ImportJob.get(id=job.id))
    return ImportStatus.COMPLETED


async def _refresh_statistics(chunks_done: int) -> None:
    """Lets PostgreSQL's planner see the tables an import is growing.

    The matching lookups are prepared statements; planned against a table the planner
    believes small, they scan it, and each chunk gets slower than the last. ANALYZE after
    the 1st, 4th, 16th, 64th… chunk keeps plans on the indexes at a logarithmic cost.
    """
    if chunks_done & (chunks_done - 1) or chunks_done.bit_length() % 2 == 0:
        return  # only at powers of four
    connection = Customer._meta.db
    if connection.capabilities.dialect == "postgres":
        await connection.execute_script("ANALYZE customer; ANALYZE contact")


async def _stop_requested(job: ImportJob, on_progress: ProgressCallback | None) -> bool:
    requested = (
        await ImportJob.filter(id=job.id).first().values_list("cancel_requested_at", flat=True)
    )
    if requested is None:
        return False
    await _finish(job, ImportStatus.CANCELLED)
    if on_progress is not None:
        await on_progress(await ImportJob.get(id=job.id))
    return True


async def _commit_chunk(
    job: ImportJob,
    viewer: Viewer,
    apply: Applier,
    mapping: ColumnMapping | None,
    chunk: list[tuple[int, RawRow | RowProblem]],
    on_progress: ProgressCallback | None,
) -> None:
    readable = [(n, v) for n, v in chunk if isinstance(v, dict)]
    unreadable = [(n, v) for n, v in chunk if isinstance(v, RowProblem)]
    mapped = [(n, mapping.apply(v)) for n, v in readable] if mapping is not None else []
    raw = dict(readable)
    async with in_transaction():
        result = await apply(viewer, mapped, mode=job.mode, match_on=list(job.match_on))
        errors = [
            ImportRowError(
                job_id=job.id, row=f.row, field=f.field, message=f.message, values=raw.get(f.row)
            )
            for f in result.failures
        ] + [
            ImportRowError(job_id=job.id, row=n, field=None, message=p.message)
            for n, p in unreadable
        ]
        await ImportRowError.bulk_create(errors)
        now = datetime.now(UTC)
        updated = await ImportJob.filter(
            id=job.id, status=ImportStatus.RUNNING, next_row=job.next_row
        ).update(
            processed_rows=F("processed_rows") + len(chunk),
            created_count=F("created_count") + result.created,
            updated_count=F("updated_count") + result.updated,
            skipped_count=F("skipped_count") + result.skipped,
            failed_count=F("failed_count") + (len(result.failed_rows) + len(unreadable)),
            next_row=chunk[-1][0] + 1,
            heartbeat_at=now,
        )
        if not updated:
            # Our checkpoint moved under us: another worker has the job. Roll this chunk back.
            raise _TakenOver
    job.next_row = chunk[-1][0] + 1
    if on_progress is not None:
        await on_progress(await ImportJob.get(id=job.id))


def progress_message(job: ImportJob) -> dict[str, Any]:
    """What subscribers to a job's progress are told after each chunk."""
    return {
        "id": job.id,
        "workspaceId": job.workspace_id,
        "status": job.status.value,
        "processedRows": job.processed_rows,
    }
