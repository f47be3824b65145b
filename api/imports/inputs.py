"""What a client sends to start an import: rows, or a file through the multipart request spec."""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from api.imports.types import ImportFormat, ImportKind, ImportMode
from domain.errors import DomainError, ErrorCode
from domain.imports.jobs import ImportRequest, file_too_large
from models.enums import ImportMode as ImportModeEnum


@strawberry.input
class ColumnMapping:
    column: str = strawberry.field(
        description="The column header in the file (or key in a row object)."
    )
    field: str = strawberry.field(
        description='A field of the import kind (e.g. "name", "phone", "contact.name") or '
        '"customFields.<key>".'
    )


@strawberry.input
class StartImportInput:
    kind: ImportKind
    mode: ImportMode = ImportModeEnum.UPSERT
    file: Upload | None = strawberry.field(
        default=None, description="Exactly one of file and rows."
    )
    format: ImportFormat | None = strawberry.field(
        default=None, description="Omitted: told from the file's first bytes."
    )
    rows: list[JSON] | None = None
    mapping: list[ColumnMapping] | None = strawberry.field(
        default=None,
        description="Omitted: columns are matched to fields by name, in English or Chinese.",
    )
    match_on: list[str] | None = strawberry.field(
        default=None,
        description="Fields that identify an existing record, tried in order: "
        'e.g. ["externalId", "email", "phone"].',
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="The same key returns the same job instead of starting a second one.",
    )
    dry_run: bool = strawberry.field(
        default=False,
        description="Try the file first: every row is checked and matched as a real run "
        "would, and the job reports what would be created, updated, skipped and failed, "
        "with the same row errors, writing no record.",
    )

    async def to_request(self, max_bytes: int) -> ImportRequest:
        data, file_name = (None, None) if self.file is None else await _read(self.file, max_bytes)
        return ImportRequest(
            kind=self.kind,
            mode=self.mode,
            file=data,
            file_name=file_name,
            format=self.format if data is not None else None,
            rows=self.rows,
            mapping=None
            if self.mapping is None
            else [(pair.column, pair.field) for pair in self.mapping],
            match_on=self.match_on,
            idempotency_key=self.idempotency_key,
            dry_run=self.dry_run,
        )


async def _read(upload: Any, max_bytes: int) -> tuple[bytes, str | None]:
    """The uploaded bytes and file name; a file over the limit is refused without reading it."""
    if not isinstance(upload, UploadFile):
        # A JSON request put something else in `file`.
        raise DomainError.single(
            "input.file",
            "Send the file as a multipart request (GraphQL multipart request spec).",
            ErrorCode.INVALID,
        )
    try:
        if upload.size is not None and upload.size > max_bytes:
            raise DomainError.single("input.file", file_too_large(max_bytes), ErrorCode.INVALID)
        data = await upload.read(max_bytes + 1)
    finally:
        await upload.close()  # frees the spooled temporary file now, not when collected
    if len(data) > max_bytes:
        raise DomainError.single("input.file", file_too_large(max_bytes), ErrorCode.INVALID)
    return data, upload.filename
