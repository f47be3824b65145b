"""Import jobs as the database holds them: starting, cancelling, claiming and reading one.

The job row is the truth about an import; a message in Redis only tells some worker
to look at it. Claiming is a conditional UPDATE whose row count says who won, so two
workers never run one job, and a job whose worker died (stale heartbeat) is taken over.

A job row holds its file (up to the upload limit, 50 MB by default). Lists, progress
subscriptions, reports and the runner read a job often and never need the file, so they
read every column but it (`job_summaries`) and leave it in the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from crm.settings import Settings
from domain.errors import DomainError, ErrorCode, Problems, not_found
from domain.imports.engine import model_columns
from domain.imports.mapping import is_known_field
from domain.imports.readers import detect_format
from domain.imports.rows import ImportFileError, column_name
from domain.imports.specs import SPECS
from domain.validation import check_optional, clean_text, has_lone_surrogate
from domain.viewer import Viewer
from domain.visibility import scope_of
from models import ImportJob
from models.enums import (
    FINISHED_IMPORT_STATUSES,
    ImportFormat,
    ImportKind,
    ImportMode,
    ImportStatus,
)

MAX_ROWS_PER_CALL = 10_000
# The largest stored file when the caller names no limit: the setting's own default.
DEFAULT_MAX_BYTES: int = Settings.model_fields["import_max_bytes"].default
# A running job whose heartbeat is older than this has lost its worker.
STALE_AFTER = timedelta(seconds=60)
# What the job's columns hold.
KEY_LIMIT = 200
FILE_NAME_LIMIT = 500
SHEET_LIMIT = 200
# The most match fields a kind has: the bound of a job's `matchedBy`.
MAX_MATCH_FIELDS = max(len(spec.match_fields) for spec in SPECS.values())

SUMMARY_FIELDS = model_columns(ImportJob, leaving_out=("payload",))


@dataclass
class ImportRequest:
    kind: ImportKind
    mode: ImportMode = ImportMode.UPSERT
    file: bytes | None = None
    file_name: str | None = None
    # Declared by the caller: read the file as this, whatever its first bytes suggest.
    format: ImportFormat | None = None
    rows: list[Any] | None = None
    mapping: list[tuple[str, str | None]] | None = None
    match_on: list[str] | None = None
    idempotency_key: str | None = None
    sheet: str | None = None
    # Check and match every row as a real run would, writing no record: a file tried first.
    dry_run: bool = False


def _payload(
    problems: Problems, request: ImportRequest, max_bytes: int
) -> tuple[bytes, ImportFormat]:
    if (request.file is None) == (request.rows is None):
        problems.add("input", "Send exactly one of `file` and `rows`.", ErrorCode.REQUIRED)
        return b"", ImportFormat.CSV
    if request.rows is not None:
        if len(request.rows) > MAX_ROWS_PER_CALL:
            problems.add(
                "input.rows",
                f"At most {MAX_ROWS_PER_CALL:,} rows per call; upload larger lists as a file.",
            )
            return b"", ImportFormat.JSONL  # refused: no use writing them out
        bad = next((i for i, row in enumerate(request.rows) if not isinstance(row, dict)), None)
        if bad is not None:
            problems.add(f"input.rows.{bad}", "Each row is a JSON object of column to value.")
        # Kept as JSON Lines: the same reader then serves rows and uploaded files. A lone
        # surrogate stays escaped (\ud800), for the reader to refuse with its row.
        lines = [json.dumps(row, ensure_ascii=False) for row in request.rows]
        text = "\n".join(
            json.dumps(row) if has_lone_surrogate(line) else line
            for row, line in zip(request.rows, lines, strict=True)
        )
        return text.encode(), ImportFormat.JSONL
    data = request.file or b""
    if len(data) > max_bytes:
        problems.add("input.file", file_too_large(max_bytes))
        return b"", ImportFormat.CSV
    if not data.strip():
        problems.add("input.file", "The file is empty.", ErrorCode.REQUIRED)
        return b"", ImportFormat.CSV
    try:
        detected = detect_format(request.file_name or "file", data[:512])
    except ImportFileError as error:
        problems.add("input.file", str(error))
        return b"", ImportFormat.CSV
    declared = request.format
    if declared is not None and (declared == ImportFormat.XLSX) != (detected == ImportFormat.XLSX):
        # CSV and JSON Lines are both text and may be told apart wrongly; a workbook never is.
        problems.add(
            "input.format",
            f"The file is {'an XLSX workbook' if detected == ImportFormat.XLSX else 'text'}, "
            f"not {declared.value}.",
        )
    return data, declared or detected


def file_too_large(max_bytes: int) -> str:
    """What an upload over the size limit is told (the API says it before reading the file)."""
    return f"The file is larger than {max_bytes / (1024 * 1024):g} MB."


def _match_on(problems: Problems, kind: ImportKind, match_on: list[str] | None) -> list[str]:
    spec = SPECS[kind]
    fields = list(dict.fromkeys(match_on if match_on is not None else spec.default_match_on))
    allowed = spec.match_fields
    for index, field in enumerate(fields):
        if field not in allowed:
            problems.add(
                f"input.matchOn.{index}",
                f"“{field}” cannot identify {kind.value.lower()}; use {', '.join(allowed)}.",
            )
    return fields


async def start_import(
    viewer: Viewer, request: ImportRequest, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[ImportJob, bool]:
    """Stores the rows and a QUEUED job; returns (job, created). The same idempotency key
    in the same workspace returns the first job instead of starting a second one."""
    key = clean_text(request.idempotency_key)
    same_key = job_summaries(workspace_id=viewer.workspace_id, idempotency_key=key)
    if key is not None:
        if len(key) > KEY_LIMIT:
            raise DomainError.single(
                "input.idempotencyKey", f"At most {KEY_LIMIT} characters.", ErrorCode.INVALID
            )
        existing = await same_key.first()
        if existing is not None:
            return await _started_by_key(viewer, existing, request), False
    problems = Problems()
    payload, fmt = _payload(problems, request, max_bytes)
    match_on = _match_on(problems, request.kind, request.match_on)
    for index, (_, field) in enumerate(request.mapping or []):
        if field is not None and not is_known_field(field, request.kind):
            problems.add(
                f"input.mapping.{index}.field", f"“{field}” is not a field to import into."
            )
    sheet = check_optional(problems, "sheet", request.sheet, SHEET_LIMIT)
    problems.raise_if_any()
    try:
        job = await ImportJob.create(
            workspace_id=viewer.workspace_id,
            created_by_id=viewer.user_id,
            api_key_id=viewer.api_key_id,
            kind=request.kind,
            format=fmt,
            mode=request.mode,
            # Columns named as the readers name them (no control characters: see
            # rows.column_name), so they still match, and the JSON column can hold them.
            mapping=[[column_name(column) or "", field] for column, field in request.mapping]
            if request.mapping is not None
            else None,
            match_on=match_on,
            idempotency_key=key,
            # A name longer than the column keeps its end, where the extension is.
            file_name=(clean_text(request.file_name) or "")[-FILE_NAME_LIMIT:] or None,
            payload=payload,
            sheet=sheet,
            dry_run=request.dry_run,
        )
    except IntegrityError:
        if key is None:
            raise  # not a race on the key (the workspace or the user went away meanwhile)
        # The same key raced in: the first job wins.
        return await _started_by_key(viewer, await same_key.get(), request), False
    return job, True


async def _started_by_key(viewer: Viewer, job: ImportJob, request: ImportRequest) -> ImportJob:
    """The job a repeated idempotency key answers with, if the viewer sees it and it is the
    same kind of run."""
    if await find_job(viewer, job.id) is None:
        # A colleague's job: never handed out, and the key cannot start another.
        raise DomainError.single(
            "input.idempotencyKey",
            "This key started another user's import; use another key.",
            ErrorCode.CONFLICT,
        )
    if job.dry_run != request.dry_run:
        # A real run must not answer with the dry run it tried first, nor the reverse.
        raise DomainError.single(
            "input.idempotencyKey",
            f"This key started a {'dry' if job.dry_run else 'real'} run; use another "
            f"key for the {'dry' if request.dry_run else 'real'} one.",
            ErrorCode.CONFLICT,
        )
    return job


async def cancel_import(viewer: Viewer, job_id: int) -> ImportJob:
    """A queued job is cancelled at once; a running one stops at its next chunk boundary,
    keeping every row it committed."""
    if (job := await find_job(viewer, job_id)) is None:
        raise not_found("id", "Import job")
    if job.status in FINISHED_IMPORT_STATUSES:
        raise DomainError.single(
            "id", f"The import is already {job.status.value}.", ErrorCode.CONFLICT
        )
    now = datetime.now(UTC)
    cancelled = await ImportJob.filter(id=job.id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.CANCELLED, cancel_requested_at=now, finished_at=now
    )
    if not cancelled:
        await ImportJob.filter(id=job.id).update(cancel_requested_at=now)
    return await job_summaries(id=job.id).get()


def _claimable(stale_before: datetime) -> QuerySet[ImportJob]:
    return ImportJob.filter(
        Q(status=ImportStatus.QUEUED)
        | Q(status=ImportStatus.RUNNING, heartbeat_at__lt=stale_before)
        | Q(status=ImportStatus.RUNNING, heartbeat_at__isnull=True)
    )


async def claim(job_id: int, *, stale_after: timedelta = STALE_AFTER) -> ImportJob | None:
    """Takes the job for this worker if it is queued or its worker stopped beating."""
    now = datetime.now(UTC)
    claimable = _claimable(now - stale_after).filter(id=job_id)
    if not await claimable.update(status=ImportStatus.RUNNING, heartbeat_at=now):
        return None
    await ImportJob.filter(id=job_id, started_at__isnull=True).update(started_at=now)
    return await job_summaries(id=job_id).get()  # the runner reads the file in slices


async def unfinished_jobs(*, stale_after: timedelta = STALE_AFTER) -> list[ImportJob]:
    """Every unfinished job with its checkpoint, in one query, for the sweeper's nudges."""
    unfinished = _claimable(datetime.now(UTC) - stale_after).order_by("id")
    return list(await unfinished.only("id", "next_row", "created_at"))


def job_summaries(**filters: object) -> QuerySet[ImportJob]:
    return ImportJob.filter(**filters).only(*SUMMARY_FIELDS)


async def visible_jobs(viewer: Viewer, **filters: object) -> QuerySet[ImportJob]:
    """The jobs the viewer sees, without their file: an ADMIN every one of the workspace, a
    MANAGER their own and those of the users they manage, a REP their own
    (`domain.visibility.scope_of`). A job is its creator's: the user who started it, or the
    user its API key acts as; a key acting as nobody sees the jobs it started."""
    query = job_summaries(workspace_id=viewer.workspace_id, **filters)
    scope = await scope_of(viewer)
    if scope.sees_all:
        return query
    creators = list(scope.owner_ids or ())
    theirs = Q(created_by_id__in=creators) | Q(created_by_id=None, api_key__acts_as_id__in=creators)
    if viewer.api_key_id is not None:
        theirs |= Q(api_key_id=viewer.api_key_id)
    return query.filter(theirs)


async def find_job(viewer: Viewer, job_id: int) -> ImportJob | None:
    """The job if the viewer sees it; another's, like another workspace's, reads as None."""
    return await (await visible_jobs(viewer, id=job_id)).first()


def matched_by(job: ImportJob) -> list[tuple[str, int]]:
    """(match field, rows that matched a record by it) in the kind's order, if any did."""
    counts = job.matched_by or {}
    return [(name, counts[name]) for name in SPECS[job.kind].match_fields if counts.get(name)]
