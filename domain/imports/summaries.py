"""Import jobs as readers see them: every column but the uploaded bytes.

A job row holds its file (up to the upload limit, 50 MB by default). Lists, progress
subscriptions and reports read a job often and never need the file, so they leave it
in the database.
"""

from __future__ import annotations

from tortoise.queryset import QuerySet

from domain.imports.specs import SPECS
from domain.viewer import Viewer
from models import ImportJob

# The most match fields a kind has: the bound of a job's `matchedBy`.
MAX_MATCH_FIELDS = max(len(spec.match_fields) for spec in SPECS.values())

# The foreign keys' columns (workspace_id, created_by_id) are not among `db_fields`.
SUMMARY_FIELDS = tuple(
    sorted(
        {name for name in ImportJob._meta.db_fields if name != "payload"}
        | {f"{fk}_id" for fk in ImportJob._meta.fk_fields}
    )
)


def job_summaries(**filters: object) -> QuerySet[ImportJob]:
    return ImportJob.filter(**filters).only(*SUMMARY_FIELDS)


async def find_job(viewer: Viewer, job_id: int) -> ImportJob | None:
    """The job if it belongs to the viewer's workspace; another workspace's reads as None."""
    return await job_summaries(id=job_id, workspace_id=viewer.workspace_id).first()


def matched_by(job: ImportJob) -> list[tuple[str, int]]:
    """(match field, rows that matched a record by it), in the kind's order of match fields,
    the fields no row matched by left out."""
    counts = job.matched_by or {}
    return [(name, counts[name]) for name in SPECS[job.kind].match_fields if counts.get(name)]
