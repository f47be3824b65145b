"""The job's mapping as its rows reveal their columns: a CSV file's or sheet's header names
them all, so its mapping is built once. JSON objects need not share their keys: a key first
seen on row 500 must still reach its field, so the mapping grows as keys appear (only ever
adding columns, so rows mapped earlier keep their meaning), and a column the explicit
mapping names may be missing from every row so far without the file being refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field

from domain.errors import DomainError
from domain.imports.limits import MAX_COLUMNS
from domain.imports.mapping import (
    ColumnMapping,
    build_mapping,
    file_columns_sentence,
    missing_columns_message,
    missing_fields,
)
from domain.imports.rows import ImportFileError, RawRow
from models import ImportJob
from models.enums import ImportKind, ImportMode


@dataclass(eq=False)
class FileColumns:
    explicit: Sequence[tuple[str, str | None]]
    _: KW_ONLY
    kind: ImportKind
    custom_fields: Mapping[str, str]
    keys_vary: bool
    mode: ImportMode = ImportMode.UPSERT
    match_on: Sequence[str] = ()
    mapping: ColumnMapping | None = field(default=None, init=False)
    _seen: dict[str, None] = field(default_factory=dict, init=False)

    @property
    def seen(self) -> list[str]:
        """The file's columns so far, in its order: a header's, or keys as they appeared."""
        return list(self._seen)

    def see(self, row: RawRow) -> bool:
        """Takes in the row's columns; True when the mapping changed."""
        if self.mapping is not None and row.keys() <= self._seen.keys():
            return False
        self._seen.update(dict.fromkeys(row))
        if len(self._seen) > MAX_COLUMNS:
            # Only JSON objects can get here (a header is cut at MAX_COLUMNS by its reader);
            # each new key would rebuild a mapping of all the keys so far.
            raise ImportFileError(
                f"The rows have more than {MAX_COLUMNS:,} different keys between them; an "
                "import reads at most that many columns."
            )
        columns = list(self._seen)
        if self.keys_vary:
            columns += [column for column, _ in self.explicit if column not in self._seen]
        try:
            self.mapping = build_mapping(
                columns, self.explicit, kind=self.kind, custom_fields=self.custom_fields
            )
        except DomainError as error:
            raise ImportFileError(f"{error} {file_columns_sentence(self.seen)}") from error
        return True

    def check_required(self) -> None:
        """Fails the file when its columns fill none of what every row needs
        (`mapping.missing_fields`): once, listing its columns, instead of once per row; a file
        of JSON objects before each chunk, once the chunk has shown its keys. Before any
        row was read as values (unreadable JSON lines so far) there is nothing to judge."""
        if self.mapping is None:
            return
        fields = self.mapping.fields_by_column.values()
        missing = missing_fields(self.kind, self.mode, self.match_on, fields)
        if missing:
            raise ImportFileError(missing_columns_message(self.kind, missing, self.seen))


def job_columns(job: ImportJob) -> list[tuple[str, str | None]]:
    """(column, the field it fills or None) for each column of the job's file, in its order,
    as its run stored them; empty until a run has read the file's first row. A job run before
    migration 0017 stored no fields: they are guessed again from its headers and mapping (a
    column a custom field's label filled then shows as ignored). At most MAX_COLUMNS, the
    bound the API declares (JSON rows that went past it failed the job with one more key)."""
    columns = (job.file_columns or [])[:MAX_COLUMNS]
    fields = job.column_fields
    if fields is None:
        try:
            mapping = build_mapping(
                columns, [(column, field) for column, field in job.mapping or []], kind=job.kind
            )
        except DomainError:
            return [(column, None) for column in columns]
        fields = mapping.fields_by_column
    return [(column, fields.get(column)) for column in columns]
