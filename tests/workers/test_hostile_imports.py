"""Hostile files through the runner, as a worker runs them (tests/imports/test_hostile_workbooks.py
reads the same files without one): each fails its job on the first run, saying why, or is
read, in bounded time and memory, where it blocked the worker's event loop for seconds or
minutes, or raised out of the run and was retried for minutes."""

from __future__ import annotations

import time
import tracemalloc

from domain.imports.jobs import ImportRequest, start_import
from domain.imports.limits import MAX_JSON_DEPTH, MAX_SHARED_STRINGS_BYTES
from domain.imports.runner import run_import
from models import ImportJob, ImportRowError
from models.enums import ImportKind, ImportStatus
from tests.factories import viewer_of
from tests.helpers import Account
from tests.imports.workbooks import (
    endless_nesting,
    long_shared_strings,
    many_cell_formats,
    many_defined_names,
    rows_out_of_order,
)

MB = 1024 * 1024


async def _run(account: Account, data: bytes, file_name: str) -> tuple[ImportJob, float, int]:
    """(the job once run, CPU seconds of its one run, peak bytes allocated meanwhile).

    CPU time of the whole process (the run reads in worker threads too), not the wall clock,
    which a loaded machine stretches: what the bound guards against is work, not waiting."""
    viewer = await viewer_of(account)
    request = ImportRequest(kind=ImportKind.CUSTOMERS, file=data, file_name=file_name)
    job, _ = await start_import(viewer, request)
    tracemalloc.start()
    try:
        started = time.process_time()
        await run_import(job.id)
        seconds = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return await ImportJob.get(id=job.id), seconds, peak


async def test_a_sheet_of_rows_out_of_order_fails_its_job_at_once(workspace: Account):
    # given: 300,000 rows numbered 1 after the header (before: read for 1.5 s without a row
    # handed out, so without a look at the job, then its one customer imported)
    data = rows_out_of_order(300_000)

    # when
    job, seconds, _ = await _run(workspace, data, "乱序.xlsx")

    # then
    assert job.status == ImportStatus.FAILED
    assert (job.failure or "").startswith("The sheet's XML holds row 1 after row 1")
    assert job.failed_attempts == 0  # not an unexpected error, retried
    assert seconds < 1, seconds


async def test_a_styles_part_past_excels_formats_fails_its_job_at_once(workspace: Account):
    # given: 100,000 cell formats in 150 KB (before: openpyxl built every one, about 6 s
    # and 180 MB before the first row, blocking the worker's event loop)
    data = many_cell_formats(100_000, as_excel_writes=False)

    # when
    job, seconds, peak = await _run(workspace, data, "样式.xlsx")

    # then
    assert job.status == ImportStatus.FAILED
    assert "styles hold more than 65,536 cell formats" in (job.failure or "")
    assert seconds < 10, seconds  # traced: 3.4 s (31 s before, 4.2 s untraced)
    assert peak < 16 * MB, peak


async def test_a_part_read_whole_past_its_bound_fails_its_job_at_once(workspace: Account):
    # given: a workbook part of 60,000 defined names, 3 MB that openpyxl parses whole
    data = many_defined_names(60_000)

    # when
    job, seconds, peak = await _run(workspace, data, "名称.xlsx")

    # then (before: 2.5 s and 90 MB of objects, then imported)
    assert job.status == ImportStatus.FAILED
    assert (job.failure or "").startswith("The workbook's part “xl/workbook.xml” unpacks to")
    assert seconds < 1, seconds
    assert peak < 8 * MB, peak


async def test_too_much_shared_text_fails_its_job_on_its_first_run(workspace: Account):
    # given: 192 MB of shared strings in a 4 MB file (before: every string held, 184 MB,
    # on each of the job's runs)
    data = long_shared_strings(6_000)

    # when
    job, seconds, peak = await _run(workspace, data, "长文本.xlsx")

    # then: held up to the bound only, and refused
    assert job.status == ImportStatus.FAILED
    assert (job.failure or "").startswith("The workbook holds more text than an import keeps")
    assert peak < MAX_SHARED_STRINGS_BYTES + 16 * MB, peak
    assert seconds < 10, seconds


async def test_elements_nested_without_end_fail_their_job_at_once(workspace: Account):
    # given: 500,000 elements opened one inside the other in a cell, never closed (before:
    # all held, 164 MB and 2.9 s, till the file's end said it was broken)
    data = endless_nesting(500_000)

    # when
    job, seconds, peak = await _run(workspace, data, "嵌套.xlsx")

    # then
    assert job.status == ImportStatus.FAILED
    assert "row 2 of the sheet holds more than 65,536 elements" in (job.failure or "")
    assert seconds < 4, seconds
    assert peak < 40 * MB, peak


async def test_json_lines_nested_too_deep_are_row_errors(workspace: Account):
    # given: a line of 100,000 "[" and one of objects 100,000 deep between two customers
    # (before: a RecursionError out of the run, which was retried for minutes)
    lines = ['{"name": "甲"}', "[" * 100_000, '{"a":' * 100_000, '{"name": "乙"}']
    data = "\n".join(lines).encode()

    # when
    job, seconds, _ = await _run(workspace, data, "深.jsonl")

    # then
    assert job.status == ImportStatus.COMPLETED
    assert (job.created_count, job.failed_count) == (2, 2)
    problems = (
        await ImportRowError.filter(job_id=job.id).order_by("row").values_list("row", "message")
    )
    too_deep = f"The line nests objects or arrays more than {MAX_JSON_DEPTH} levels deep."
    assert problems == [(2, too_deep), (3, too_deep)]
    assert seconds < 1, seconds
