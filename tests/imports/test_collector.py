"""While imports run, the cyclic collector seldom runs; after the last one, it is as it was."""

from __future__ import annotations

import gc

import pytest

from domain.imports.runner import collecting_rarely, rare_collections


def test_the_collector_is_put_back_as_it_was_after_the_last_import():
    # given
    before = gc.get_threshold()

    # when: two imports overlap, the first ends before the second
    with rare_collections():
        during = gc.get_threshold()
        frozen = gc.get_freeze_count()
        second = rare_collections()
        second.__enter__()
    still_running = (gc.get_threshold(), gc.get_freeze_count())
    second.__exit__(None, None, None)

    # then
    assert during[0] >= 50_000 and during[1:] == before[1:]
    assert frozen > 0  # the objects that existed before are out of the collector's passes
    assert still_running[0] == during and still_running[1] > 0  # the second still runs
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_a_coroutine_function_runs_under_it_even_when_it_fails():
    # given
    before = gc.get_threshold()
    seen = []

    @collecting_rarely
    async def failing_import() -> None:
        seen.append(gc.get_threshold())
        raise RuntimeError("the file is gone")

    # when
    with pytest.raises(RuntimeError):
        await failing_import()

    # then
    assert seen[0][0] >= 50_000
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
