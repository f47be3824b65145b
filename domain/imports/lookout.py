"""A run looking up from its reading, about once a second: must it stop?

A chunk's commit sees a cancel request in its guarded UPDATE (`commits.py`), but a run may
read for a long time between chunks: a sheet of blank rows, the rows before a resumed
job's checkpoint, a slow file. Reading is synchronous, on the event loop, so nothing else
of the run happens meanwhile. The run's loop calls `look` every few rows; it reads the
clock, and once a second of reading has passed it asks whether the worker must stop
(shutting down) and, unless a chunk committed since the last look (whose guard asked
the database already), whether the job was cancelled: one UPDATE by primary key, which
also beats the job's heartbeat, so that the sweeper does not hand a long read to another
worker as if this one had died.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from domain.imports.commits import CancelRequested, TakenOver
from models import ImportJob
from models.enums import ImportStatus

# Seconds of reading between two looks: how long a cancel or a shutdown may wait.
LOOK_EVERY = 1.0
# Rows read between two readings of the clock: a fraction of a percent of a normal row's
# work, and at most a second or two of the costliest rows the limits allow (a sheet row of
# 16,384 cells is some 0.1–0.25 s of parsing).
ROWS_BETWEEN_CLOCK_READS = 8


class Lookout:
    def __init__(
        self,
        job: ImportJob,
        *,
        must_stop: Callable[[], bool],
        committed: Callable[[], int],
        every: float = LOOK_EVERY,
    ) -> None:
        self._job = job
        self._must_stop = must_stop
        self._committed = committed
        self._every = every
        self._next_look = time.monotonic() + every
        self._committed_at_last_look = committed()

    async def look(self) -> bool:
        """True when the run must stop now; raises CancelRequested once the job's owner
        cancelled it and TakenOver once it is no longer this run's to write."""
        now = time.monotonic()
        if now < self._next_look:
            return False
        self._next_look = now + self._every
        if self._must_stop():
            return True
        committed = self._committed()
        if committed != self._committed_at_last_look:
            self._committed_at_last_look = committed
            return False  # that commit's guarded update looked and beat the heartbeat
        running = ImportJob.filter(id=self._job.id, status=ImportStatus.RUNNING)
        beaten = await running.filter(cancel_requested_at__isnull=True).update(
            heartbeat_at=datetime.now(UTC)
        )
        if not beaten:
            raise CancelRequested if await running.exists() else TakenOver
        return False
