"""The downloadable report of an import's failed rows: their original cells and what was wrong.

The user fixes the rows in Excel or WPS and imports the report again, so it keeps the
file's columns in the file's order (as the worker stored them on the job when it first
read the file: the API never reads an upload), and it is written as UTF-8 with a BOM,
which Excel needs to read Chinese. Cells that a spreadsheet would run as a formula are
defused, the header's included (it is the uploaded file's own first row).

The report is streamed one page of errors at a time (keyset on (row, id), the order of
the errors' index), so a job with 100,000 errors costs the memory of one page.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from tortoise.expressions import Q

from domain.errors import not_found
from domain.imports.jobs import find_job
from domain.imports.rows import defused
from domain.viewer import Viewer
from models import ImportJob, ImportRowError
from models.enums import ImportFormat

PAGE_SIZE = 1000


@dataclass(frozen=True)
class ErrorReport:
    job: ImportJob
    columns: list[str]

    @property
    def file_name(self) -> str:
        name = self.job.file_name
        stem = PurePath(name).stem if name else f"import-{self.job.id}"
        return f"{stem}-errors.csv"

    async def chunks(self, *, page_size: int = PAGE_SIZE) -> AsyncIterator[bytes]:
        """The CSV file as UTF-8 bytes: a BOM and the header, then one chunk per page."""
        error_column = _free_name("error", self.columns)
        row_column = _free_name("row", [*self.columns, error_column])
        # The header is the uploaded file's own first row: defused like any cell.
        header = [_cell(column) for column in self.columns]
        yield codecs.BOM_UTF8 + _csv_lines([[*header, error_column, row_column]])
        # One line per failed row: its errors are consecutive in (row, id) order, though a
        # page may end between two of them.
        row: int | None = None
        values: dict[str, Any] | None = None
        problems: list[str] = []
        async for page in _error_pages(self.job.id, page_size, "field", "message", "values"):
            lines: list[list[str]] = []
            for _, number, field_name, message, cells in page:
                if number != row:
                    if problems:
                        lines.append(self._line(row, values, problems))
                    row, values, problems = number, cells, []
                problems.append(f"{field_name}: {message}" if field_name else message)
            if lines:
                yield _csv_lines(lines)
        if problems:
            yield _csv_lines([self._line(row, values, problems)])

    def _line(
        self, row: int | None, values: dict[str, Any] | None, problems: list[str]
    ) -> list[str]:
        cells = [_cell((values or {}).get(column)) for column in self.columns]
        return [*cells, _cell("; ".join(problems)), str(row)]


async def open_error_report(viewer: Viewer, job_id: int) -> ErrorReport:
    """The report of a job of the viewer's workspace; another workspace's job is NOT_FOUND."""
    if (job := await find_job(viewer, job_id)) is None:
        raise not_found("id", "Import job")
    return ErrorReport(job, await _columns(job))


def _cell(value: Any) -> str:
    return "" if value is None else defused(str(value))


def _free_name(name: str, taken: Sequence[str]) -> str:
    # The file may have its own "error" or "row" column; ours must not hide it.
    while name in taken:
        name = f"_{name}"
    return name


def _csv_lines(lines: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)  # \r\n line ends, as Excel writes them
    return buffer.getvalue().encode("utf-8")


async def _error_pages(
    job_id: int, page_size: int, *columns: str
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The job's errors as (id, row, *columns), page by page in (row, id) order."""
    after: tuple[int, int] | None = None
    while True:
        errors = ImportRowError.filter(job_id=job_id)
        if after is not None:
            row, pk = after
            errors = errors.filter(Q(row__gt=row) | Q(row=row, id__gt=pk))
        ordered = errors.order_by("row", "id").limit(page_size)
        page = await ordered.values_list("id", "row", *columns)
        if page:
            yield page
        if len(page) < page_size:
            return
        after = (page[-1][1], page[-1][0])


async def _columns(job: ImportJob) -> list[str]:
    """The file's columns in its order, as the worker stored them (PostgreSQL's jsonb does
    not keep the order of the failed rows' keys), then any other key of a failed row: JSON
    objects need not share their keys, and a job run before its columns were stored
    (migration 0015) has only those. The file itself is never read here: a workbook's
    first row may lie behind millions of shared strings."""
    columns = dict.fromkeys(job.file_columns or ())
    if job.format == ImportFormat.JSONL or not columns:
        async for page in _error_pages(job.id, PAGE_SIZE, "values"):
            for *_, values in page:
                columns.update(dict.fromkeys(values or {}))
    return list(columns)
