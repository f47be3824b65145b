"""Import jobs as clients read them, and the payload of the mutations that start or stop one."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.accounts.types import User
from api.context import Info
from api.core.errors import ErrorCode, UserError, errors_field
from api.core.ids import to_global_id
from api.core.list_bounds import at_most
from api.core.node import Node
from api.core.pagination import Connection, Ordering, paginate
from api.core.types import model_is_type_of
from api.imports.downloads import ROUTE_NAME as ERROR_REPORT_ROUTE
from domain.errors import ErrorCode as DomainErrorCode
from domain.imports import jobs
from domain.imports.file_columns import job_columns
from domain.imports.jobs import MAX_MATCH_FIELDS
from domain.imports.limits import MAX_COLUMNS
from domain.viewer import Viewer
from models import ImportJob as ImportJobModel
from models import ImportRowError as ImportRowErrorModel
from models.enums import ImportFormat as ImportFormatEnum
from models.enums import ImportKind as ImportKindEnum
from models.enums import ImportMode as ImportModeEnum
from models.enums import ImportStatus as ImportStatusEnum

# The domain's enums are the GraphQL enums: `strawberry.enum` registers the GraphQL
# name on the class itself, and the alias keeps it a type for the type checker.
ImportKind = ImportKindEnum
strawberry.enum(ImportKind, name="ImportKind")
ImportFormat = ImportFormatEnum
strawberry.enum(ImportFormat, name="ImportFormat")
ImportMode = ImportModeEnum
strawberry.enum(ImportMode, name="ImportMode")
ImportStatus = ImportStatusEnum
strawberry.enum(ImportStatus, name="ImportStatus")


@strawberry.type
class ImportRowError:
    row: int = strawberry.field(
        description="The row as the user sees it: in a CSV file or sheet, the row number "
        "Excel or WPS shows (the header is row 1, so the first data row is 2; blank rows "
        "count); in JSON Lines, the line number; in `rows`, the row's index + 1."
    )
    field: str | None
    message: str
    is_type_of = model_is_type_of(ImportRowErrorModel)

    @strawberry.field(
        description="CONFLICT for a row whose keys name different or several records, or "
        "that contradicts an earlier row of the file; INVALID, REQUIRED… for a cell; null "
        "for errors recorded before codes were kept."
    )
    @staticmethod
    def code(parent: strawberry.Parent[ImportRowErrorModel]) -> ErrorCode | None:
        code = parent.code
        return None if code is None else DomainErrorCode(code)


@strawberry.type(
    description="How many rows matched a stored record (or an earlier row's) by one key."
)
class ImportMatchCount:
    key: str = strawberry.field(description='The match field: "externalId", "email", "phone"…')
    rows: int


@strawberry.type(description="A column of the import's file and the field it fills.")
class ImportColumn:
    name: str = strawberry.field(
        description="The column's header as the file has it (in JSON rows, the key; nested "
        "objects' keys joined by dots)."
    )
    field: str | None = strawberry.field(
        description="The field the column fills (`name`, `contact.title`, "
        "`customFields.level`…), or null when the import ignores the column."
    )


@strawberry.type
class ImportJob(Node):
    kind: ImportKind
    format: ImportFormat
    mode: ImportMode
    status: ImportStatus
    total_rows: int | None
    processed_rows: int
    created_count: int
    updated_count: int
    skipped_count: int
    failed_count: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    dry_run: bool = strawberry.field(
        description="True for a dry run: the counts and row errors are what a real run would "
        "give; no record was written."
    )
    is_type_of = model_is_type_of(ImportJobModel)

    @classmethod
    async def load_node(cls, info: Info, viewer: Viewer, pk: int) -> ImportJobModel | None:
        return await jobs.find_job(viewer, pk)  # without its file, which may be 50 MB

    @strawberry.field(
        description="Per match field, how many rows matched a record by it (the first field "
        "of matchOn the row gives): they updated it, or CREATE skipped them. Fields no row "
        "matched by are left out.",
        metadata=at_most(MAX_MATCH_FIELDS),
    )
    @staticmethod
    def matched_by(parent: strawberry.Parent[ImportJobModel]) -> list[ImportMatchCount]:
        counts = jobs.matched_by(parent)
        return [ImportMatchCount(key=key, rows=rows) for key, rows in counts]

    @strawberry.field(
        description="Why the import FAILED as a whole (a file that cannot be read or was "
        "refused, one whose columns fill none of what its rows need, which lists the "
        "file's columns, a row it could not get past), in words for the person who "
        "started it; "
        "null unless the status is FAILED. The rows it committed before failing stay."
    )
    @staticmethod
    def failure_reason(parent: strawberry.Parent[ImportJobModel]) -> str | None:
        return parent.failure

    @strawberry.field(
        description="The file's columns in its order, each with the field it fills (null: "
        "ignored), as the import mapped them: headers are recognised in English and "
        "Chinese, as HubSpot, Salesforce, Pipedrive, Excel and WPS export them, whatever "
        "their case, spaces, underscores and punctuation. Empty until a worker has read "
        "the file's first row; JSON rows add their keys as they appear.",
        metadata=at_most(MAX_COLUMNS),
    )
    @staticmethod
    def columns(parent: strawberry.Parent[ImportJobModel]) -> list[ImportColumn]:
        return [ImportColumn(name=name, field=field) for name, field in job_columns(parent)]

    @strawberry.field(
        description="The names of the columns the import ignores (those of `columns` whose "
        "field is null), in the file's order.",
        metadata=at_most(MAX_COLUMNS),
    )
    @staticmethod
    def ignored_columns(parent: strawberry.Parent[ImportJobModel]) -> list[str]:
        return [name for name, field in job_columns(parent) if field is None]

    @strawberry.field
    @staticmethod
    async def created_by(parent: strawberry.Parent[ImportJobModel], info: Info) -> User | None:
        user_id = parent.created_by_id
        return None if user_id is None else await info.context.loaders.user_by_id.load(user_id)

    @strawberry.field
    @staticmethod
    async def errors(
        parent: strawberry.Parent[ImportJobModel],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ImportRowError]:
        rows = ImportRowErrorModel.filter(job_id=parent.pk)
        return await paginate(rows, Ordering("row"), first=first, after=after)

    @strawberry.field(
        description="The failed rows as a CSV file to fix and import again (GET it with the "
        "same Authorization header); null while no row has failed."
    )
    @staticmethod
    def error_report_url(parent: strawberry.Parent[ImportJobModel], info: Info) -> str | None:
        if not parent.failed_count:
            return None
        return _report_url(info, parent.pk)


def _report_url(info: Info, job_id: int) -> str:
    """On PUBLIC_URL when it is set (or a path in production without it): a client's Host
    header must not choose where the link sends the next person who follows it."""
    request, base = info.context.request, info.context.link_base
    global_id = to_global_id("ImportJob", job_id)
    if base is not None:
        path = request.app.url_path_for(ERROR_REPORT_ROUTE, job_id=global_id)
        return f"{base}{path}" if base else f"{request.scope.get('root_path', '')}{path}"
    url = request.url_for(ERROR_REPORT_ROUTE, job_id=global_id)
    # Over a WebSocket the base URL is ws(s)://; the report is fetched over HTTP(S).
    return str(url.replace(scheme={"ws": "http", "wss": "https"}.get(url.scheme, url.scheme)))


@strawberry.type
class ImportJobPayload:
    import_job: ImportJob | None
    errors: list[UserError] = errors_field()
