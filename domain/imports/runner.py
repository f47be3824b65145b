"""Running an import job: rows in chunks, each committed with the job's counters and checkpoint.

A chunk's rows, its row errors, the job's counters and its checkpoint (`next_row`) are
written in ONE transaction (`commits.py`). Whatever instant a worker dies at, the
database holds either all of a chunk or none of it, and the next worker starts at the
checkpoint: no row is lost, none is applied twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.errors import DomainError
from domain.imports.activity_rows import apply_activity_rows
from domain.imports.collector import collecting_rarely
from domain.imports.commits import (
    ROWS_BETWEEN_YIELDS,
    Applier,
    CancelRequested,
    Checker,
    ChunkCommits,
    ProgressCallback,
    TakenOver,
    prepare_chunk,
)
from domain.imports.contact_rows import apply_contact_rows
from domain.imports.customer_rows import apply_customer_rows, check_customer_rows
from domain.imports.file_columns import FileColumns
from domain.imports.file_keys import forget
from domain.imports.jobs import STALE_AFTER, claim
from domain.imports.lookout import ROWS_BETWEEN_CLOCK_READS, Lookout
from domain.imports.mapping import CUSTOM_FIELD_ENTITIES
from domain.imports.opportunity_rows import apply_opportunity_rows
from domain.imports.readers import read_rows
from domain.imports.rows import ImportFileError, RawRow, Row, RowProblem
from domain.imports.stored_files import open_stored_file
from domain.imports.summaries import job_summaries
from domain.sql import is_postgres
from domain.viewer import Viewer
from models import ApiKey, Customer, CustomFieldDefinition, ImportJob, User
from models.enums import ImportFormat, ImportKind, ImportStatus, Role

log = logging.getLogger("crm.imports")

CHUNK_SIZE = 1000
# Runs that may fail at one checkpoint (a lost connection, a deadlock) before the job fails.
MAX_ATTEMPTS = 3
# How runs failed that arq cancelled at their timeout, with no chunk committed.
_OUT_OF_TIME = "each ran out of time reading the file; save it again, or split it"

APPLIERS: dict[ImportKind, Applier] = {
    ImportKind.CUSTOMERS: apply_customer_rows,
    ImportKind.CONTACTS: apply_contact_rows,
    ImportKind.ACTIVITIES: apply_activity_rows,
    ImportKind.OPPORTUNITIES: apply_opportunity_rows,
}
# Kinds whose rows are checked before their chunk's transaction, while the previous
# chunk commits; the others are checked by their applier, inside it.
CHECKERS: dict[ImportKind, Checker] = {ImportKind.CUSTOMERS: check_customer_rows}
# The tables each kind grows, whose statistics the planner needs as they grow.
_GROWING: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.CUSTOMERS: ("customer", "contact"),
    ImportKind.CONTACTS: ("contact",),
    ImportKind.ACTIVITIES: ("activity", "reminder"),
    ImportKind.OPPORTUNITIES: ("opportunity", "stage_change"),
}


async def acting_viewer(job: ImportJob) -> Viewer:
    """The import acts as whoever started it (a person or an integrator's key) with their
    role today; once they are deactivated or revoked, with the least role."""
    least = Viewer(workspace_id=job.workspace_id, role=Role.REP)
    if job.created_by_id is not None:
        user = await User.get_or_none(id=job.created_by_id, is_active=True)
        return least if user is None else Viewer(job.workspace_id, user.role, user_id=user.id)
    if job.api_key_id is not None:
        key = await ApiKey.get_or_none(id=job.api_key_id, revoked_at__isnull=True)
        return least if key is None else Viewer(job.workspace_id, key.role, api_key_id=key.id)
    return least


async def _gave_up(job: ImportJob, failure: str) -> bool:
    """Counts a run that failed at the job's checkpoint (`failure` says how); after
    MAX_ATTEMPTS the job is FAILED (its committed rows stay) rather than retried forever.
    A run that committed a chunk moved the checkpoint: it is not counted."""
    await ImportJob.filter(id=job.id, next_row=job.next_row).update(
        failed_attempts=F("failed_attempts") + 1
    )
    # Tortoise types a flat values_list as tuples; it gives the column's value.
    attempts = cast(
        int | None,
        await ImportJob.filter(id=job.id).first().values_list("failed_attempts", flat=True),
    )
    if attempts is None or attempts < MAX_ATTEMPTS:
        return False
    await _finish(
        job,
        ImportStatus.FAILED,
        f"The import stopped at row {job.next_row}: {attempts} runs in a row failed "
        f"({failure}). The rows before it were imported.",
    )
    return True


async def _custom_field_labels(job: ImportJob) -> dict[str, str]:
    """key → label of the kind's custom fields: a column headed by either is mapped to it."""
    entity = CUSTOM_FIELD_ENTITIES.get(job.kind)
    if entity is None:
        return {}
    definitions = CustomFieldDefinition.filter(workspace_id=job.workspace_id, entity=entity)
    return dict(await definitions.values_list("key", "label"))


async def _finish(job: ImportJob, status: ImportStatus, failure: str | None = None) -> None:
    now = datetime.now(UTC)
    async with in_transaction():
        await ImportJob.filter(id=job.id).update(
            status=status,
            finished_at=now,
            heartbeat_at=now,
            failure=failure,
            total_rows=F("processed_rows"),
        )
        await forget(job.id)  # what its rows did: no chunk of it will run again


@collecting_rarely
async def run_import(
    job_id: int,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    must_stop: Callable[[], bool] = lambda: False,
    on_progress: ProgressCallback | None = None,
    chunk_size: int = CHUNK_SIZE,
    stale_after: timedelta = STALE_AFTER,
) -> ImportStatus | None:
    """Runs (or resumes) the job; returns its status, or None if another worker has it.

    `should_stop` is asked after every committed chunk (a worker told to shut down, or
    whose time slice is over, says yes): the job goes back to QUEUED at its checkpoint for
    another worker to resume. `must_stop` (a worker shutting down) is asked about once a
    second even while the run reads without committing (`lookout.py`), and stops it then,
    committed chunk or not; so is `should_stop` once a chunk has committed.
    """
    job = await claim(job_id, stale_after=stale_after)
    if job is None:
        return None
    apply = APPLIERS[job.kind]
    viewer = await acting_viewer(job)
    columns = FileColumns(
        [(column, field) for column, field in job.mapping or []],
        kind=job.kind,
        custom_fields=await _custom_field_labels(job),
        keys_vary=job.format == ImportFormat.JSONL,
        mode=job.mode,
        match_on=job.match_on,
    )
    check = CHECKERS.get(job.kind)

    async def before_chunk() -> ImportStatus | None:
        if commits.committed and should_stop():
            await ImportJob.filter(id=job.id).update(status=ImportStatus.QUEUED, heartbeat_at=None)
            return ImportStatus.QUEUED
        return None

    async def after_chunk(committed: int) -> None:
        await _refresh_statistics(job.kind, committed)

    commits = ChunkCommits(job, on_progress, before_chunk=before_chunk, after_chunk=after_chunk)
    lookout = Lookout(
        job,
        must_stop=lambda: must_stop() or bool(commits.committed and should_stop()),
        committed=lambda: commits.committed,
    )

    async def pause() -> ImportStatus:
        """Back to the queue at the checkpoint, once the chunks already prepared are
        committed (or dropped, should `before_chunk` stop first)."""
        if not await commits.finish():
            await ImportJob.filter(id=job.id).update(status=ImportStatus.QUEUED, heartbeat_at=None)
        return ImportStatus.QUEUED

    source = await open_stored_file(job.id)
    rows: Generator[Row, None, None] | None = None
    try:
        try:
            rows = read_rows(
                source,
                filename=job.file_name or "file",
                sheet=job.sheet,
                format=job.format,
            )
            chunk: list[tuple[int, RawRow | RowProblem]] = []
            countdown = ROWS_BETWEEN_CLOCK_READS
            for number, values in rows:
                countdown -= 1
                if not countdown:
                    countdown = ROWS_BETWEEN_CLOCK_READS
                    if await lookout.look():
                        return await pause()
                if values is None:
                    continue  # a blank row
                saw_new_columns = isinstance(values, dict) and await _saw(job, columns, values)
                if saw_new_columns and not columns.keys_vary:
                    columns.check_required()  # a header names every column at once
                if number < job.next_row:
                    continue  # committed by an earlier run
                chunk.append((number, values))
                if len(chunk) % ROWS_BETWEEN_YIELDS == 0:
                    await asyncio.sleep(0)  # the chunk being committed sends its next statement
                if len(chunk) >= chunk_size:
                    columns.check_required()
                    prepared = await prepare_chunk(viewer, apply, check, columns.mapping, chunk)
                    chunk = []
                    if stopped := await commits.add(prepared):
                        return stopped
            if chunk:
                columns.check_required()
                prepared = await prepare_chunk(viewer, apply, check, columns.mapping, chunk)
                if stopped := await commits.add(prepared):
                    return stopped
            if stopped := await commits.finish():
                return stopped
        except BaseException as error:
            await commits.settle(error)
            raise
    except (ImportFileError, DomainError) as error:
        # The file as a whole is unusable (unreadable, bad mapping): what was committed stays.
        await _finish(job, ImportStatus.FAILED, str(error))
        return ImportStatus.FAILED
    except TakenOver:
        return None
    except asyncio.CancelledError:
        # arq cancels a run that outlives its timeout: a file whose rows take minutes to read
        # without a chunk to show for it. Counted like a failure, so that such a file fails
        # after MAX_ATTEMPTS, saying why, instead of being swept up and read again forever.
        # A worker shutting down cancels its runs too; that is no fault of the file.
        if not must_stop():
            log.warning("import %s: the run at row %s ran out of time", job.id, job.next_row)
            await _gave_up(job, _OUT_OF_TIME)
        raise
    except CancelRequested:
        await _finish(job, ImportStatus.CANCELLED)
        if on_progress is not None:
            await on_progress(await job_summaries(id=job.id).get())
        return ImportStatus.CANCELLED
    except Exception as error:
        log.exception("import %s: the run failed at row %s", job.id, job.next_row)
        if await _gave_up(job, type(error).__name__):
            return ImportStatus.FAILED
        raise  # the job stays RUNNING: the sweeper retries it once its heartbeat is stale
    finally:
        # The reader first, while its file is open: a run that stops mid-file (a file that
        # fails at once) would leave the reader to be closed later, on a closed file.
        if rows is not None:
            rows.close()
        source.close()
    await _finish(job, ImportStatus.COMPLETED)
    if on_progress is not None:
        await on_progress(await job_summaries(id=job.id).get())
    return ImportStatus.COMPLETED


async def _saw(job: ImportJob, columns: FileColumns, values: RawRow) -> bool:
    """Takes in the row's columns; when the mapping changed, stores the file's columns and
    what each fills, for `ImportJob.columns` and the error report to show without the file
    (and stores the columns all the same when the mapping cannot work, then raises)."""
    try:
        if not columns.see(values):
            return False
    except ImportFileError:
        await ImportJob.filter(id=job.id).update(file_columns=columns.seen)
        raise
    assert columns.mapping is not None
    await ImportJob.filter(id=job.id).update(
        unmapped_columns=columns.mapping.unmapped_columns,
        file_columns=columns.seen,
        column_fields=columns.mapping.fields_by_column,
    )
    return True


async def _refresh_statistics(kind: ImportKind, chunks_done: int) -> None:
    """Lets PostgreSQL's planner see the tables an import is growing.

    The matching lookups are prepared statements; planned against a table the planner
    believes small, they scan it, and each chunk gets slower than the last. ANALYZE after
    the 1st, 4th, 16th, 64th… chunk keeps plans on the indexes at a logarithmic cost.
    """
    if chunks_done & (chunks_done - 1) or chunks_done.bit_length() % 2 == 0:
        return  # only at powers of four
    connection = Customer._meta.db
    if is_postgres(connection):
        await connection.execute_script("; ".join(f"ANALYZE {t}" for t in _GROWING[kind]))


def progress_message(job: ImportJob) -> dict[str, Any]:
    """What subscribers to a job's progress are told after each chunk."""
    return {
        "id": job.id,
        "workspaceId": job.workspace_id,
        "status": job.status.value,
        "processedRows": job.processed_rows,
    }
