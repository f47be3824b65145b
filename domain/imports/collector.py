"""Python's cyclic garbage collector, kept out of an import's way.

An import allocates millions of small dicts, lists and tuples, and reference counting
frees them as soon as their chunk is written: they form no cycles. The collector still
runs a pass whenever allocations outnumber frees by 700, and up to every hundredth pass
walks the whole heap (models, application, worker). Measured with `bench/import_customers.py`,
that was a fifth of an import's Python time. While imports run, the objects that existed
before are frozen out of the passes, and a pass waits for 50,000 more allocations than
frees: cyclic garbage is still collected, the heap is no longer walked over and over.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

_THRESHOLD = 50_000

_running = 0  # imports running in this process (a worker may run several at once)
_saved_thresholds = gc.get_threshold()

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def rare_collections() -> Iterator[None]:
    """While the block runs, the collector seldom runs and skips the older objects."""
    global _running, _saved_thresholds
    if _running == 0:
        _saved_thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(max(_THRESHOLD, _saved_thresholds[0]), *_saved_thresholds[1:])
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
