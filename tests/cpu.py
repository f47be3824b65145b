"""CPU time this process spends on a piece of work, for tests that bound the work.

Tests bound what hostile input costs, never how fast the machine is: the wall clock also
counts the time a loaded machine spends on other processes, so a bound on it fails at
random (1.03 s against 1.0 s on a busy 2-core host). `time.process_time()` counts the CPU
seconds of every thread of this process: the test client, the in-process server (uvicorn
runs as a task of the test's event loop) and the worker threads they hand work to. It
does not count the database server's or a subprocess's time, nor any waiting; a process a
test started is measured by `process_cpu_seconds`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CpuTime:
    """The CPU seconds spent inside a `cpu_time()` block, set when the block ends."""

    seconds: float = 0.0


@contextmanager
def cpu_time() -> Iterator[CpuTime]:
    spent = CpuTime()
    started = time.process_time()
    try:
        yield spent
    finally:
        spent.seconds = time.process_time() - started


def process_cpu_seconds(pid: int) -> float:
    """The CPU seconds another process (a worker or server a test started) has spent so far,
    all its threads, as Linux counts them in /proc (a process not yet reaped included)."""
    # The fields after the command's closing parenthesis start at the third, the state;
    # utime and stime are the 14th and 15th, in clock ticks.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
