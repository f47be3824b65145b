"""Running an import job: the stored file read, its rows in chunks committed (`commits.py`).

Each chunk commits with the job's checkpoint (`next_row`) in ONE transaction, and the next
run starts at the checkpoint: no row is lost, none is applied twice.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import tempfile
from collections.abc import Awaitable, Callable, Generator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, ParamSpec, TypeVar, cast

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.errors import DomainError
from domain.imports.commits import (
    ROWS_BETWEEN_CLOCK_READS,
    ROWS_BETWEEN_YIELDS,
    CancelRequested,
    ChunkCommits,
    ProgressCallback,
    TakenOver,
    announce,
    prepare_chunk,
)
from domain.imports.engine import Applier
from domain.imports.file_columns import FileColumns
from domain.imports.file_keys import forget
from domain.imports.jobs import STALE_AFTER, claim
from domain.imports.readers import read_rows
from domain.imports.rows import ImportFileError, RawRow, Row, RowProblem
from domain.imports.specs import SPECS
from domain.sql import placeholder
from domain.viewer import Viewer
from models import ApiKey, CustomFieldDefinition, ImportJob, User
from models.enums import ImportFormat, ImportKind, ImportStatus, Role

log = logging.getLogger("crm.imports")

CHUNK_SIZE = 1000
# Runs that may fail at one checkpoint (a lost connection, a deadlock) before the job fails.
MAX_ATTEMPTS = 3
# How runs failed that arq cancelled at their timeout, with no chunk committed.
_OUT_OF_TIME = "each ran out of time reading the file; save it again, or split it"
# The stored file is copied out this many bytes at a time (`open_stored_file`).
SLICE_BYTES = 1024 * 1024
# While imports run, the collector waits for this many more allocations than frees.
_GC_THRESHOLD = 50_000
_running = 0  # imports running in this process (a worker may run several at once)
_saved_thresholds = gc.get_threshold()

P = ParamSpec("P")
R = TypeVar("R")


# The applier of each kind's rows the runner calls (a test swaps one for a failing one).
APPLIERS: dict[ImportKind, Applier] = {kind: spec.apply for kind, spec in SPECS.items()}


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
    entity = SPECS[job.kind].entity
    if entity is None:
        return {}
    definitions = CustomFieldDefinition.filter(workspace_id=job.workspace_id, entity=entity)
    return dict(await definitions.values_list("key", "label"))


async def _finish(
    job: ImportJob,
    status: ImportStatus,
    failure: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> None:
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
    await announce(job.id, on_progress)


@contextmanager
def rare_collections() -> Iterator[None]:
    """While the block runs, Python's cyclic collector seldom runs and skips older objects.

    An import allocates millions of small dicts, lists and tuples, and reference counting
    frees them as soon as their chunk is written: they form no cycles. The collector still
    runs a pass whenever allocations outnumber frees by 700, and up to every hundredth pass
    walks the whole heap (models, application, worker). Measured with
    `bench/import_customers.py`, that was a fifth of an import's Python time. While imports
    run, the objects that existed before are frozen out of the passes, and a pass waits for
    50,000 more allocations than frees: cyclic garbage is still collected, the heap is no
    longer walked over and over.
    """
    global _running, _saved_thresholds
    if _running == 0:
        _saved_thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(max(_GC_THRESHOLD, _saved_thresholds[0]), *_saved_thresholds[1:])
    _running += 1
    try:
        yield
    finally:
        _running -= 1
        if _running == 0:
            gc.set_threshold(*_saved_thresholds)
            gc.unfreeze()


def collecting_rarely(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Runs the coroutine function under `rare_collections`."""

    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with rare_collections():
            return await function(*args, **kwargs)

    return wrapper


async def open_stored_file(job_id: int, *, slice_bytes: int = SLICE_BYTES) -> BinaryIO:
    """A temporary file holding the job's bytes, positioned at the start; close it after.

    A worker that loaded the bytes with the job row would hold the whole file (up to the
    upload limit), and more while the driver decodes it. Copied one slice at a time, a few
    statements per run, none per chunk, the file costs flat memory whatever its size.
    """
    db = ImportJob._meta.db
    _, rows = await db.execute_query(
        'SELECT COALESCE(LENGTH("payload"), 0) FROM "import_job" '
        f'WHERE "id" = {placeholder(db, 1)}',
        [job_id],
    )
    size = rows[0][0] if rows else 0
    # SUBSTR counts from 1 on both databases, in bytes for a bytea or a BLOB.
    piece = (
        f'SELECT SUBSTR("payload", {placeholder(db, 1)}, {placeholder(db, 2)}) '
        f'FROM "import_job" WHERE "id" = {placeholder(db, 3)}'
    )
    file = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, for the caller to close
    try:
        for start in range(0, size, slice_bytes):
            _, rows = await db.execute_query(piece, [start + 1, slice_bytes, job_id])
            file.write(bytes(rows[0][0]))
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


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

    `should_stop` (a worker told to shut down, or whose time slice is over) stops it once a
    chunk has committed, `must_stop` (a worker shutting down) even while it reads without
    committing: the job goes back to QUEUED at its checkpoint (`ChunkCommits`).
    """
    job = await claim(job_id, stale_after=stale_after)
    if job is None:
        return None
    spec, apply = SPECS[job.kind], APPLIERS[job.kind]
    viewer = await acting_viewer(job)
    columns = FileColumns(
        [(column, field) for column, field in job.mapping or []],
        kind=job.kind,
        custom_fields=await _custom_field_labels(job),
        keys_vary=job.format == ImportFormat.JSONL,
        mode=job.mode,
        match_on=job.match_on,
    )
    commits = ChunkCommits(job, on_progress, should_stop=should_stop, must_stop=must_stop)

    async def hand_over(rows: list[tuple[int, RawRow | RowProblem]]) -> ImportStatus | None:
        columns.check_required()
        return await commits.add(await prepare_chunk(viewer, spec, apply, columns.mapping, rows))

    source = await open_stored_file(job.id)
    rows: Generator[Row, None, None] | None = None
    try:
        try:
            name = job.file_name or "file"
            rows = read_rows(source, filename=name, sheet=job.sheet, format=job.format)
            chunk: list[tuple[int, RawRow | RowProblem]] = []
            for read, (number, values) in enumerate(rows, start=1):
                if read % ROWS_BETWEEN_CLOCK_READS == 0 and (stopped := await commits.look()):
                    return stopped
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
                    if stopped := await hand_over(chunk):
                        return stopped
                    chunk = []
            if chunk and (stopped := await hand_over(chunk)):
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
        await _finish(job, ImportStatus.CANCELLED, on_progress=on_progress)
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
    await _finish(job, ImportStatus.COMPLETED, on_progress=on_progress)
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


def progress_message(job: ImportJob) -> dict[str, Any]:
    """What subscribers to a job's progress are told after each chunk."""
    return {
        "id": job.id,
        "workspaceId": job.workspace_id,
        "status": job.status.value,
        "processedRows": job.processed_rows,
    }
