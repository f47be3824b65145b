"""Migration 0017 moves stored row numbers to the rows Excel shows, the header being row 1."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

from tortoise.transactions import in_transaction

from domain.viewer import Viewer
from models import ImportJob, ImportRowError
from models.enums import ImportFormat, ImportKind, ImportStatus
from tests.factories import viewer_of
from tests.helpers import Account

_MIGRATION = importlib.import_module("models.migrations.0017_import_job_column_fields")


class _RolledBack(Exception):
    """Undoes the migration's statements: they touch every job of the shared test database."""


async def _job(viewer: Viewer, format: ImportFormat, status: ImportStatus, next_row: int) -> int:
    job = await ImportJob.create(
        workspace_id=viewer.workspace_id,
        kind=ImportKind.CUSTOMERS,
        format=format,
        status=status,
        next_row=next_row,
    )
    await ImportRowError.create(job_id=job.id, row=1, message="m")
    return job.id


async def test_csv_and_xlsx_rows_move_down_one_and_json_lines_stay(workspace: Account):
    # given: jobs numbered the old way (the first data row was 1)
    viewer = await viewer_of(workspace)
    running = await _job(viewer, ImportFormat.CSV, ImportStatus.RUNNING, 1001)
    fresh = await _job(viewer, ImportFormat.XLSX, ImportStatus.QUEUED, 1)
    finished = await _job(viewer, ImportFormat.XLSX, ImportStatus.COMPLETED, 501)
    json_lines = await _job(viewer, ImportFormat.JSONL, ImportStatus.RUNNING, 51)
    jobs = [running, fresh, finished, json_lines]

    async def state(connection) -> list[tuple[int, int]]:
        return [
            (
                (await ImportJob.filter(id=job).using_db(connection).get()).next_row,
                (await ImportRowError.filter(job_id=job).using_db(connection).get()).row,
            )
            for job in jobs
        ]

    try:
        async with in_transaction() as connection:
            editor = SimpleNamespace(client=connection)

            # when
            await _MIGRATION.count_the_header_line(None, editor)
            moved = await state(connection)
            await _MIGRATION.count_data_rows_again(None, editor)
            back = await state(connection)
            raise _RolledBack
    except _RolledBack:
        pass

    # then: the unfinished CSV job resumes after the same row, the one not yet begun still
    # starts at the top, every CSV and XLSX error names the row below; JSON Lines kept
    # line numbers
    assert moved == [(1002, 2), (1, 2), (501, 2), (51, 1)]
    assert back == [(1001, 1), (1, 1), (501, 1), (51, 1)]
