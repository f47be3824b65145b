"""Running an import the way the worker does: the job is stored, then run to its end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.imports.jobs import ImportRequest, start_import
from domain.imports.runner import run_import
from domain.viewer import Viewer
from models import ImportJob, ImportRowError
from models.enums import ImportKind, ImportStatus


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None
    message: str
    code: str | None


async def import_rows(
    viewer: Viewer, kind: ImportKind, rows: list[dict[str, Any]], **request: Any
) -> tuple[ImportJob, list[RowError]]:
    """Imports `rows` (JSON objects, keyed by header or field name) as `viewer`, through
    `start_import` and `run_import`; returns the finished job and its row errors in order."""
    job, _ = await start_import(viewer, ImportRequest(kind=kind, rows=rows, **request))
    assert await run_import(job.id) == ImportStatus.COMPLETED
    errors = await ImportRowError.filter(job_id=job.id).order_by("row", "id")
    return await ImportJob.get(id=job.id), [
        RowError(e.row, e.field, e.message, e.code) for e in errors
    ]
