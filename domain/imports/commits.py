"""An import's chunks committed one at a time, each with its row errors, the job's counters
and its checkpoint in ONE transaction, guarded by the checkpoint it started from: whatever
instant a worker dies at, the database holds either all of a chunk or none of it.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.errors import ErrorCode
from domain.imports.cells import ChunkResult
from domain.imports.engine import Applier, CheckedRows, Spec
from domain.imports.file_keys import FileKeys
from domain.imports.jobs import job_summaries
from domain.imports.mapping import ColumnMapping
from domain.imports.rows import RawRow, RowProblem
from domain.imports.specs import SPECS
from domain.sql import is_postgres
from domain.viewer import Viewer
from models import ImportJob, ImportRowError
from models.enums import ImportKind, ImportStatus

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

    rows: CheckedRows
    raw: dict[int, RawRow]  # the file's values of each readable row, kept with its errors
    unreadable: list[tuple[int, RowProblem]]
    size: int
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
        len(rows),
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
    apply = functools.partial(chunk.rows.apply, mode=job.mode, match_on=list(job.match_on))
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
        errors = [
            ImportRowError(
                job_id=job.id,
                row=f.row,
                field=f.field,
                message=without_nul(f.message),
                code=f.code.value,
                values=without_nul(chunk.raw.get(f.row)),
            )
            for f in result.failures
        ] + [
            ImportRowError(
                job_id=job.id, row=n, field=None, message=p.message, code=ErrorCode.INVALID.value
            )
            for n, p in chunk.unreadable
        ]
        matched_by = dict(Counter(job.matched_by or {}) + result.matched_by)
        if errors:
            await ImportRowError.bulk_create(errors)
        # Cancelled, or our checkpoint moved under us (another worker has the job): either
        # way this chunk is rolled back.
        await _update_unless_stopped(
            ImportJob.filter(id=job.id, status=ImportStatus.RUNNING, next_row=job.next_row),
            processed_rows=F("processed_rows") + chunk.size,
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
        stopped = await self.add(None)
        if stopped is None and self._committer is not None:
            stopped = await self._committer
        return stopped

    async def settle(self, error: BaseException) -> None:
        """On the way out after `error`: the chunks already prepared are valid, so they are
        committed (an error of their own, such as TakenOver, then prevails); a cancelled
        run cancels them."""
        committer = self._committer
        if committer is None:
            return
        if isinstance(error, Exception) and not committer.done():
            await self.finish()
            return
        committer.cancel()
        await asyncio.gather(committer, return_exceptions=True)

    async def look(self) -> ImportStatus | None:
        """The run looking up from its reading, about once a second: the status it stopped
        at, if it must stop; raises CancelRequested once the job's owner cancelled it and
        TakenOver once it is no longer this run's to write.

        A chunk's commit sees a cancel request in its guarded UPDATE, but a run may read for
        a long time between chunks: a sheet of blank rows, the rows before a resumed job's
        checkpoint, a slow file. Reading is synchronous, on the event loop, so nothing else
        of the run happens meanwhile. The run calls `look` every few rows; once a second of
        reading has passed it asks whether the worker must stop and, unless a chunk committed
        since the last look (whose guard asked the database already), whether the job was
        cancelled: one UPDATE by primary key, which also beats the job's heartbeat, so that
        the sweeper does not hand a long read to another worker as if this one had died.
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
        await _refresh_statistics(self._job.kind, self.committed)
        return None


async def _refresh_statistics(kind: ImportKind, chunks_done: int) -> None:
    """Lets PostgreSQL's planner see the tables an import is growing.

    The matching lookups are prepared statements; planned against a table the planner
    believes small, they scan it, and each chunk gets slower than the last. ANALYZE after
    the 1st, 4th, 16th, 64th… chunk keeps plans on the indexes at a logarithmic cost.
    """
    if chunks_done & (chunks_done - 1) or chunks_done.bit_length() % 2 == 0:
        return  # only at powers of four
    connection = ImportJob._meta.db
    if is_postgres(connection):
        tables = SPECS[kind].growing
        await connection.execute_script("; ".join(f"ANALYZE {table}" for table in tables))
