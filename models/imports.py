"""The import aggregate: a job that brings rows into the CRM, and its row-level errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import ImportFormat, ImportKind, ImportMode, ImportStatus

if TYPE_CHECKING:
    from models.workspace import ApiKey, User, Workspace


class ImportJob(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="import_jobs", on_delete=fields.CASCADE
    )
    workspace_id: int
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="import_jobs", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    # Set when an integrator's key started the job: the import acts with the key's role.
    api_key: fields.ForeignKeyNullableRelation[ApiKey] = fields.ForeignKeyField(
        "models.ApiKey", related_name="import_jobs", null=True, on_delete=fields.SET_NULL
    )
    api_key_id: int | None
    kind = fields.CharEnumField(ImportKind, max_length=16)
    format = fields.CharEnumField(ImportFormat, max_length=8)
    mode = fields.CharEnumField(ImportMode, max_length=8, default=ImportMode.UPSERT)
    status = fields.CharEnumField(ImportStatus, max_length=16, default=ImportStatus.QUEUED)
    # The client's (column, field or None) pairs, as JSON arrays of two.
    mapping: fields.JSONField[list[tuple[str, str | None]] | None] = fields.JSONField(null=True)
    match_on: fields.JSONField[list[str]] = fields.JSONField(default=list)
    idempotency_key = fields.CharField(max_length=200, null=True)
    file_name = fields.CharField(max_length=500, null=True)
    # The uploaded bytes (JSON rows are kept as JSON Lines), so any worker on any machine
    # can read them: Redis only says that there is work, never what it is.
    payload = fields.BinaryField(null=True)
    sheet = fields.CharField(max_length=200, null=True)
    # Rows numbered below this are committed: a worker resuming the job starts here.
    next_row = fields.IntField(default=1, db_default=1)
    heartbeat_at = fields.DatetimeField(null=True)
    # Runs that failed at the current checkpoint: a chunk that always fails (a value the
    # database refuses) fails the job after a few tries instead of being retried forever.
    failed_attempts = fields.IntField(default=0, db_default=0)
    cancel_requested_at = fields.DatetimeField(null=True)
    # Columns of the file that map to no field: reported once for the job, not per row.
    unmapped_columns: fields.JSONField[list[str]] = fields.JSONField(default=list, db_default="[]")
    # The file's columns in its order, stored by the worker as it first reads them (a CSV's
    # or sheet's header, a JSON Lines file's keys as they appear): the error report's
    # columns, so that the API never reads the file. NULL until then, and for jobs run
    # before migration 0015.
    file_columns: fields.JSONField[list[str] | None] = fields.JSONField(null=True)
    # {column: field} for the columns the run mapped, stored with `file_columns` (what
    # `ImportJob.columns` shows). NULL for jobs run before migration 0017.
    column_fields: fields.JSONField[dict[str, str] | None] = fields.JSONField(null=True)
    # Why the whole file could not be imported (unreadable, not a spreadsheet…).
    failure = fields.TextField(null=True)
    total_rows = fields.IntField(null=True)
    processed_rows = fields.IntField(default=0)
    # match field → rows that matched a record by it ({"phone": 12}), counted per chunk.
    matched_by: fields.JSONField[dict[str, int]] = fields.JSONField(default=dict, db_default="{}")
    # A dry run checks and matches every row as a real run would, and writes no record.
    dry_run = fields.BooleanField(default=False, db_default=False)
    created_count = fields.IntField(default=0)
    updated_count = fields.IntField(default=0)
    skipped_count = fields.IntField(default=0)
    failed_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "import_job"
        unique_together = (("workspace", "idempotency_key"),)
        indexes = (Index(fields=("workspace_id", "created_at", "id")), Index(fields=("status",)))


class ImportRowError(Model):
    id = fields.BigIntField(primary_key=True)
    job: fields.ForeignKeyRelation[ImportJob] = fields.ForeignKeyField(
        "models.ImportJob", related_name="errors", on_delete=fields.CASCADE
    )
    job_id: int
    # The row the user sees it in: Excel's or WPS's row number (the header is row 1), a
    # JSON Lines file's line (`rows.Row`).
    row = fields.IntField()
    field = fields.CharField(max_length=200, null=True)
    message = fields.TextField()
    # ErrorCode: CONFLICT for a row whose keys disagree, INVALID for a bad cell… NULL for
    # errors recorded before migration 0016.
    code = fields.CharField(max_length=16, null=True)
    # The row as it was in the file, for the downloadable report of failed rows.
    values: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)

    class Meta:
        table = "import_row_error"
        indexes = (Index(fields=("job_id", "row", "id")),)


class ImportFileKey(Model):
    """What the rows of an import's file did to one record so far, as of one chunk: read by
    the job's later chunks, which run in other transactions, maybe other processes (see
    `domain/imports/file_keys.py`). Deleted when the job finishes."""

    id = fields.BigIntField(primary_key=True)
    job: fields.ForeignKeyRelation[ImportJob] = fields.ForeignKeyField(
        "models.ImportJob", related_name="file_keys", on_delete=fields.CASCADE
    )
    job_id: int
    # A digest of "id:<record id>", or (a dry run's) "<match field>:<value>" of a record it
    # would create: short whatever the value (a deal's name, an activity's content).
    key = fields.CharField(max_length=40)
    record_id = fields.BigIntField(null=True)  # NULL: the record the row `row` would create
    row = fields.IntField(null=True)  # the row that created the record, if one did
    # JSON as text: written by orjson and read only by the import, never queried into, so
    # PostgreSQL need not parse a row's worth of JSON for each row a real run imports.
    state = fields.TextField()

    class Meta:
        table = "import_file_key"
        indexes = (Index(fields=("job_id", "key")),)
