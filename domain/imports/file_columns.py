"""The job's mapping as its rows reveal their columns.

A CSV or XLSX file names every column in its header, so the mapping is built once. JSON
objects need not share their keys: a key first seen on row 500 must still reach its field,
so the mapping grows as keys appear (it only ever adds columns, so rows mapped earlier
keep their meaning), and a column named in the explicit mapping may be missing from
every row so far without the file being refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.imports.limits import MAX_COLUMNS
from domain.imports.mapping import ColumnMapping, build_mapping
from domain.imports.rows import ImportFileError, RawRow
from models.enums import ImportKind


class FileColumns:
    def __init__(
        self,
        explicit: Sequence[tuple[str, str | None]],
        *,
        kind: ImportKind,
        custom_fields: Mapping[str, str],
        keys_vary: bool,
    ) -> None:
        self._explicit = list(explicit)
        self._kind = kind
        self._custom_fields = custom_fields
        self._keys_vary = keys_vary
        self._seen: dict[str, None] = {}
        self.mapping: ColumnMapping | None = None

    @property
    def seen(self) -> list[str]:
        """The file's columns so far, in its order: a header's, or keys as they appeared."""
        return list(self._seen)

    def see(self, row: RawRow) -> bool:
        """Takes in the row's columns; True when the mapping changed (raises DomainError
        for a mapping that cannot work, as `build_mapping` does, and ImportFileError past
        MAX_COLUMNS columns)."""
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
        if self._keys_vary:
            columns += [column for column, _ in self._explicit if column not in self._seen]
        self.mapping = build_mapping(
            columns, self._explicit, kind=self._kind, custom_fields=self._custom_fields
        )
        return True
