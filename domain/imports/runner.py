"""Running an import job: its stored file read, its rows committed in chunks.

Each chunk commits with its row errors, the job's counters and its checkpoint (`next_row`)
in ONE transaction, guarded by the checkpoint it started from, and the next run starts at
the checkpoint: whatever instant a worker dies at, the database holds either all of a
chunk or none of it, so no row is lost and none is applied twice.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import itertools
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, ParamSpec, TypeVar

from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.api_keys import viewer_of_key
from domain.errors import DomainError
from domain.history import Through
from domain.imports.cells import ChunkResult, RowFailure
from domain.imports.engine import Applier, Spec
from domain.imports.file_columns import FileColumns
from domain.imports.file_keys import FileKeys, forget
from domain.imports.jobs import STALE_AFTER, claim, job_summaries
from domain.imports.mapping import ColumnMapping
from domain.imports.readers import read_rows
from domain.imports.rows import ImportFileError, RawRow, Row, RowProblem
from domain.imports.specs import SPECS
from domain.sql import is_postgres, placeholder
from domain.viewer import Viewer
from models import CustomFieldDefinition, ImportJob, ImportRowError, User
from models.enums import ChangeSource, ImportFormat, ImportKind, ImportStatus, Role

log = logging.getLogger("crm.imports")

CHUNK_SIZE = 1000
# Runs that may fail at one checkpoint (a lost connection, a deadlock) before the job fails.
MAX_ATTEMPTS = 3
# The stored file is copied out this many bytes at a time (`open_stored_file`).
SLICE_BYTES = 1024 * 1024
# While imports run, the collector waits for this many more allocations than frees.
_GC_THRESHOLD = 50_000
_running = 0  # imports running in this process (a worker may run several at once)
_saved_thresholds = gc.get_threshold()

P = ParamSpec("P")
R = TypeVar("R")

ProgressCallback = Callable[[ImportJob], Awaitable[None]]
# Preparing a chunk hands the event loop back this often (rows), so that the chunk being
# committed meanwhile never waits long to send its next statement.
ROWS_BETWEEN_YIELDS = 50
# Seconds of reading between two looks: how long a cancel or a shutdown may wait.
LOOK_EVERY = 1.0
# Rows read between two readings of the clock: a fraction of a percent of a normal row's
# work, and at most a second or two of the costliest rows the limits allow (a sheet row of
# 16,384 cells is some 0.1–0.25 s of parsing).
ROWS_BETWEEN_CLOCK_READS = 8


class TakenOver(Exception):
    """Another worker claimed the job (ours looked dead): this one must stop, writing nothing."""


class CancelRequested(Exception):
    """The job's owner cancelled it: the chunk is rolled back and the run stops there."""


async def _update_unless_stopped(ours: QuerySet[ImportJob], **values: Any) -> None:
    """Raises CancelRequested if the owner cancelled the job, TakenOver if it is not `ours`."""
    if not await ours.filter(cancel_requested_at__isnull=True).update(**values):
        raise CancelRequested if await ours.exists() else TakenOver


async def announce(job_id: int, on_progress: ProgressCallback | None) -> None:
    if on_progress is not None:
        await on_progress(await job_summaries(id=job_id).get())


@dataclass
class Chunk:
    """A chunk ready to commit: its rows mapped (and checked, when the kind allows it)."""

    apply: Applier  # its rows, to apply in its transaction
    raw: dict[int, RawRow]  # the file's values of each readable row, kept with its errors
    unreadable: list[tuple[int, RowProblem]]
    next_row: int  # the checkpoint once it is committed


async def prepare_chunk(
    viewer: Viewer,
    spec: Spec,
    apply: Applier,
    mapping: ColumnMapping | None,
    rows: list[tuple[int, RawRow | RowProblem]],
) -> Chunk:
    """The rows mapped to fields and checked, outside any transaction: while the last commits."""
    readable = [(n, v) for n, v in rows if isinstance(v, dict)]
    unreadable = [(n, v) for n, v in rows if isinstance(v, RowProblem)]
    mapped = []
    if mapping is not None:
        for start in range(0, len(readable), ROWS_BETWEEN_YIELDS):
            mapped += [
                (n, mapping.apply(v)) for n, v in readable[start : start + ROWS_BETWEEN_YIELDS]
            ]
            await asyncio.sleep(0)  # the chunk being committed sends its next statement
    return Chunk(
        await spec.prepare(viewer, mapped, apply),
        dict(readable),
        unreadable,
        rows[-1][0] + 1,
    )


def without_nul(value: Any) -> Any:
    """The value with NUL characters dropped: PostgreSQL's text and jsonb refuse them, and a
    failed row's cells are stored as they came (whatever bytes the file held)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


class _RolledBack(Exception):
    """Ends a dry run's chunk: its writes are undone, its result kept."""

    def __init__(self, result: ChunkResult) -> None:
        self.result = result


async def _apply(job: ImportJob, chunk: Chunk) -> ChunkResult:
    """The chunk's rows applied in the chunk's transaction; a dry run applies them just the
    same (the same checks, matches and writes, so the same counts and row errors) inside a
    savepoint that it then rolls back: no record, reminder or stage change stays. Either
    way what the rows did is kept for the job's later chunks (`file_keys`), in the chunk's
    transaction: a dry run's later chunks see what its earlier ones would have written."""
    file = FileKeys(job.id, dry_run=job.dry_run)
    apply = functools.partial(
        chunk.apply,
        mode=job.mode,
        match_on=list(job.match_on),
        through=Through(ChangeSource.IMPORT, job.id),  # what the chunk's history names
    )
    if not job.dry_run:
        result = await apply(file=file)
    else:
        try:
            async with in_transaction():  # nested: a savepoint
                raise _RolledBack(await apply(file=file))
        except _RolledBack as done:
            result = done.result
    await file.save()
    return result


async def commit_chunk(job: ImportJob, chunk: Chunk, on_progress: ProgressCallback | None) -> None:
    """Applies the chunk, records its row errors and moves the job's counters and checkpoint,
    in one transaction; raises TakenOver or CancelRequested (all rolled back) if the
    checkpoint moved or the owner cancelled the job."""
    async with in_transaction() as connection:
        if is_postgres(connection):
            # The chunk commits without waiting for its WAL to reach the disk (a few ms on
            # the critical path of every chunk). Safe here: the rows and the checkpoint
            # are one transaction, so a database crash can only forget a chunk whole, with
            # its checkpoint, and the job redoes it; the job's COMPLETED, written with
            # a synchronous commit, flushes every chunk before it.
            await connection.execute_script("SET LOCAL synchronous_commit TO OFF")
        result = await _apply(job, chunk)
        unreadable = [RowFailure(n, None, p.message) for n, p in chunk.unreadable]
        errors = [
            ImportRowError(
                job_id=job.id,
                row=f.row,
                field=f.field,
                message=without_nul(f.message),
                code=f.code.value,
                values=without_nul(chunk.raw.get(f.row)),  # none for an unreadable row
            )
            for f in [*result.failures, *unreadable]
        ]
        matched_by = dict(Counter(job.matched_by or {}) + result.matched_by)
        if errors:
            await ImportRowError.bulk_create(errors)
        await _update_unless_stopped(
            ImportJob.filter(id=job.id, status=ImportStatus.RUNNING, next_row=job.next_row),
            processed_rows=F("processed_rows") + (len(chunk.raw) + len(chunk.unreadable)),
            created_count=F("created_count") + result.created,
            updated_count=F("updated_count") + result.updated,
            skipped_count=F("skipped_count") + result.skipped,
            failed_count=F("failed_count") + (len(result.failed_rows) + len(chunk.unreadable)),
            matched_by=matched_by,
            next_row=chunk.next_row,
            heartbeat_at=datetime.now(UTC),
            failed_attempts=0,
        )
    job.next_row = chunk.next_row
    job.matched_by = matched_by
    await announce(job.id, on_progress)


class ChunkCommits:
    """Commits the chunks it is given in order, one transaction each, while the caller reads
    and prepares the next ones, and says when the run must stop.

    On PostgreSQL a task of its own commits them (the database works on one core, Python on
    the other), and one prepared chunk may wait its turn while the caller prepares another:
    the database starts on the next chunk the moment the last one commits, and Python never
    waits for it unless two chunks are ready. A chunk's transaction still begins only once
    the last one has committed, so its lookups see every row before it. On SQLite (one
    connection) each chunk commits when it is added, before the next is read.

    The run stops, its job back in the queue at its checkpoint for another worker to resume,
    once `should_stop` (a worker shutting down, or whose time slice is over) says so after a
    committed chunk, or `must_stop` (a worker shutting down) at a look. The chunks not yet
    begun are dropped: they are past the checkpoint, so whoever resumes the job reads them.
    """

    def __init__(
        self,
        job: ImportJob,
        on_progress: ProgressCallback | None,
        *,
        should_stop: Callable[[], bool],
        must_stop: Callable[[], bool],
    ) -> None:
        self._job = job
        self._on_progress = on_progress
        self._should_stop = should_stop
        self._must_stop = must_stop
        self._overlap = is_postgres(ImportJob._meta.db)
        self._waiting: asyncio.Queue[Chunk | None] = asyncio.Queue(maxsize=1)
        self._committer: asyncio.Task[ImportStatus | None] | None = None
        self.committed = 0  # chunks committed by this run
        self._next_look = time.monotonic() + LOOK_EVERY
        self._committed_at_last_look = 0

    async def add(self, chunk: Chunk | None) -> ImportStatus | None:
        """Hands `chunk` over to be committed (None: there are no more); returns the status
        the run stopped at, once it has stopped, and raises the error a commit raised."""
        if not self._overlap:
            return None if chunk is None else await self._commit(chunk)
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_all())
        handed = asyncio.ensure_future(self._waiting.put(chunk))
        try:
            await asyncio.wait([handed, self._committer], return_when=asyncio.FIRST_COMPLETED)
        finally:
            handed.cancel()  # a no-op once handed over; else nobody will take it
        return self._committer.result() if self._committer.done() else None

    async def finish(self) -> ImportStatus | None:
        """After the last chunk: waits until every chunk is committed (see `add`)."""
        await self.add(None)
        return None if self._committer is None else await self._committer

    async def settle(self, error: BaseException) -> None:
        """On the way out after `error`: the chunks already prepared are valid, so they are
        committed (an error of their own, such as TakenOver, then prevails); a cancelled
        run cancels them."""
        if (committer := self._committer) is None:
            return
        if isinstance(error, Exception) and not committer.done():
            await self.finish()
        else:
            committer.cancel()
            await asyncio.gather(committer, return_exceptions=True)

    async def look(self) -> ImportStatus | None:
        """The run looking up from its reading, about once a second: the status it stopped
        at, if it must stop; raises CancelRequested or TakenOver as a commit does.

        A commit's guarded UPDATE sees a cancel, but a run may read for long between chunks
        (a sheet of blank rows, the rows before a resumed job's checkpoint, a slow file),
        synchronously on the event loop. Unless a chunk committed since the last look (whose
        guard asked already), one UPDATE by primary key asks whether the job was cancelled
        and beats the heartbeat, so that the sweeper does not take a long read for a dead
        worker and hand it to another.
        """
        now = time.monotonic()
        if now < self._next_look:
            return None
        self._next_look = now + LOOK_EVERY
        if self._must_stop() or (self.committed and self._should_stop()):
            # Once the chunks already prepared are committed (or dropped, should the run
            # stop before one, having requeued the job).
            return await self.finish() or await self._requeue()
        if self.committed != self._committed_at_last_look:
            self._committed_at_last_look = self.committed
            return None  # that commit's guarded update looked and beat the heartbeat
        await _update_unless_stopped(
            ImportJob.filter(id=self._job.id, status=ImportStatus.RUNNING),
            heartbeat_at=datetime.now(UTC),
        )
        return None

    async def _requeue(self) -> ImportStatus:
        await ImportJob.filter(id=self._job.id).update(
            status=ImportStatus.QUEUED, heartbeat_at=None
        )
        return ImportStatus.QUEUED

    async def _commit_all(self) -> ImportStatus | None:
        while (chunk := await self._waiting.get()) is not None:
            if stopped := await self._commit(chunk):
                return stopped
        return None

    async def _commit(self, chunk: Chunk) -> ImportStatus | None:
        if self.committed and self._should_stop():
            return await self._requeue()
        await commit_chunk(self._job, chunk, self._on_progress)
        self.committed += 1
        # PostgreSQL's planner must see the tables an import is growing. The matching
        # lookups are prepared statements; planned against a table the planner believes
        # small, they scan it, and each chunk gets slower than the last. ANALYZE after the
        # 1st, 4th, 16th, 64th… chunk (powers of four) keeps plans on the indexes at a
        # logarithmic cost.
        done = self.committed
        connection = ImportJob._meta.db
        if is_postgres(connection) and not done & (done - 1) and done.bit_length() % 2:
            tables = SPECS[self._job.kind].growing
            await connection.execute_script("; ".join(f"ANALYZE {table}" for table in tables))
        return None


# The applier of each kind's rows the runner calls (a test swaps one for a failing one).
APPLIERS: dict[ImportKind, Applier] = {kind: spec.apply for kind, spec in SPECS.items()}


async def acting_viewer(job: ImportJob) -> Viewer:
    """The import acts as whoever started it (a person or an integrator's key) with their
    role today; once they are deactivated or revoked, with the least role, as nobody."""
    least = Viewer(workspace_id=job.workspace_id, role=Role.REP)
    if job.api_key_id is not None:
        # A key's job names the user it acted as too: the key decides (at most its role).
        return await viewer_of_key(job.api_key_id) or least
    if job.created_by_id is not None:
        user = await User.get_or_none(id=job.created_by_id, is_active=True)
        return least if user is None else Viewer(job.workspace_id, user.role, user_id=user.id)
    return least


async def _gave_up(job: ImportJob, failure: str) -> bool:
    """Counts a run that failed at the job's checkpoint (`failure` says how); after
    MAX_ATTEMPTS the job is FAILED (its committed rows stay) rather than retried forever.
    A run that committed a chunk moved the checkpoint: it is not counted."""
    await ImportJob.filter(id=job.id, next_row=job.next_row).update(
        failed_attempts=F("failed_attempts") + 1
    )
    counted = await ImportJob.filter(id=job.id).only("id", "failed_attempts").first()
    if counted is None or counted.failed_attempts < MAX_ATTEMPTS:
        return False
    await _finish(
        job,
        ImportStatus.FAILED,
        f"The import stopped at row {job.next_row}: {counted.failed_attempts} runs in a row "
        f"failed ({failure}). The rows before it were imported.",
    )
    return True


async def _finish(
    job: ImportJob,
    status: ImportStatus,
    failure: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> ImportStatus:
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
    return status


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
    # SUBSTR counts from 1 on both databases, in bytes for a bytea or a BLOB; past the end
    # it gives an empty piece (a missing job or payload: none).
    piece = (
        f'SELECT SUBSTR("payload", {placeholder(db, 1)}, {placeholder(db, 2)}) '
        f'FROM "import_job" WHERE "id" = {placeholder(db, 3)}'
    )
    file = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, for the caller to close
    try:
        for start in itertools.count(1, slice_bytes):
            _, rows = await db.execute_query(piece, [start, slice_bytes, job_id])
            data = bytes(rows[0][0] or b"") if rows else b""
            file.write(data)
            if len(data) < slice_bytes:
                break  # a short piece is the last
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
    viewer: Viewer | None = None,
) -> ImportStatus | None:
    """Runs (or resumes) the job; returns its status, or None if another worker has it.
    `should_stop` and `must_stop` put it back in the queue at its checkpoint (`ChunkCommits`).
    `viewer`: whom the rows are written as (`crm import`: the operator, as the workspace's
    admin); by default whoever started the job (`acting_viewer`)."""
    job = await claim(job_id, stale_after=stale_after)
    if job is None:
        return None
    spec, apply = SPECS[job.kind], APPLIERS[job.kind]
    viewer = viewer or await acting_viewer(job)
    # key → label of the kind's custom fields: a column headed by either is mapped to it.
    labels = CustomFieldDefinition.filter(workspace_id=job.workspace_id, entity=spec.entity)
    columns = FileColumns(
        [(column, field) for column, field in job.mapping or []],
        kind=job.kind,
        custom_fields={} if spec.entity is None else dict(await labels.values_list("key", "label")),
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
            if stopped := (await hand_over(chunk) if chunk else None) or await commits.finish():
                return stopped
        except BaseException as error:
            await commits.settle(error)
            raise
    except (ImportFileError, DomainError) as error:
        # The file as a whole is unusable (unreadable, bad mapping): what was committed stays.
        return await _finish(job, ImportStatus.FAILED, str(error))
    except TakenOver:
        return None
    except asyncio.CancelledError:
        # arq cancels a run that outlives its timeout: a file whose rows take minutes to read
        # without a chunk to show for it. Counted like a failure, so that such a file fails
        # after MAX_ATTEMPTS, saying why, instead of being swept up and read again forever.
        # A worker shutting down cancels its runs too; that is no fault of the file.
        if not must_stop():
            log.warning("import %s: the run at row %s ran out of time", job.id, job.next_row)
            await _gave_up(job, "each ran out of time reading the file; save it again, or split it")
        raise
    except CancelRequested:
        return await _finish(job, ImportStatus.CANCELLED, on_progress=on_progress)
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
    return await _finish(job, ImportStatus.COMPLETED, on_progress=on_progress)


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
