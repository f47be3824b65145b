"""File columns → the canonical fields of an import kind (guessed from the headers, or given),
and the columns a file of each kind cannot do without: lacking one, every row would fail alike.

A row of contacts, activities or deals names its customer, whatever the mode; a row that
creates a record needs what the record cannot be without (a customer's or contact's
name, a deal's name, an activity's time and content). Rows can only create when the mode
is CREATE, or UPSERT without a column to match on; in UPDATE mode, or UPSERT with one,
a row that matches a stored record needs none of these (a file of external ids and
phones updates phones), and a row that matches none fails on its own.

A file that cannot succeed fails as a whole, at once, listing its columns, rather than
with one identical error per row (`file_columns.FileColumns.check_required`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from collections.abc import Mapping as MappingOf
from dataclasses import dataclass

from domain.errors import ErrorCode, Problems
from domain.imports.headers import CUSTOM_FIELD_PREFIX, header_key
from domain.imports.links import LINK_FIELDS
from domain.imports.rows import RawRow
from domain.imports.specs import SPECS
from models.enums import ImportKind, ImportMode

# The fields `matchOn` names per kind when it is not given.
DEFAULT_MATCH_ON = {kind: spec.default_match_on for kind, spec in SPECS.items()}
# Columns named in a failure, at most (a file may have 1,000).
_LISTED = 50


def _automatic_fields(kind: ImportKind, custom_fields: MappingOf[str, str]) -> dict[str, str]:
    """header key → field, for the kind's built-in fields and the workspace's custom fields."""
    # Each field's own name is among its headers.
    by_key = {
        header_key(alias): field
        for field, aliases in SPECS[kind].fields.items()
        for alias in (field, *aliases)
    }
    if SPECS[kind].entity is None:
        return by_key
    for key, label in custom_fields.items():
        for alias in (f"{CUSTOM_FIELD_PREFIX}{key}", key, label):
            # A built-in field keeps its headers: a custom field labelled "电话" must not
            # steal the phone column.
            by_key.setdefault(header_key(alias), f"{CUSTOM_FIELD_PREFIX}{key}")
    return by_key


def is_known_field(field: str, kind: ImportKind = ImportKind.CUSTOMERS) -> bool:
    if field.startswith(CUSTOM_FIELD_PREFIX):
        return SPECS[kind].entity is not None and bool(
            field.removeprefix(CUSTOM_FIELD_PREFIX).strip()
        )
    return field in SPECS[kind].fields


@dataclass(frozen=True)
class ColumnMapping:
    """Which column feeds which field; built once per import, applied to every row."""

    fields_by_column: dict[str, str]
    unmapped_columns: list[str]

    def apply(self, raw_row: RawRow) -> dict[str, str | None]:
        return {field: raw_row.get(column) for column, field in self.fields_by_column.items()}


def build_mapping(
    columns: Sequence[str],
    explicit: Iterable[tuple[str, str | None]] = (),
    *,
    kind: ImportKind = ImportKind.CUSTOMERS,
    custom_fields: MappingOf[str, str] | None = None,
) -> ColumnMapping:
    """Maps the file's columns to the fields of `kind`; raises DomainError listing every mistake.

    `explicit` pairs (column, field) win over the guess; a field of None leaves the
    column out. Other columns are mapped by their header when it names a field (English
    or Chinese, or a custom field's key or label from `custom_fields`, key → label); when
    two headers name one field, the first column takes it and the other is unmapped.
    """
    problems = Problems()
    chosen: dict[str, str | None] = {}
    for position, (column, field) in enumerate(explicit):
        path = f"mapping[{position}]"
        if column not in columns:
            problems.add(f"{path}.column", f"The file has no column “{column}”.")
        elif field is not None and not is_known_field(field, kind):
            problems.add(f"{path}.field", f"“{field}” is not {SPECS[kind].a_record} field.")
        elif field is not None and field in chosen.values():
            problems.add(
                f"{path}.field", f"Two columns are mapped to “{field}”.", ErrorCode.DUPLICATE
            )
        else:
            chosen[column] = field
    problems.raise_if_any()

    automatic = _automatic_fields(kind, custom_fields or {})
    taken = {field for field in chosen.values() if field is not None}
    fields_by_column: dict[str, str] = {}
    unmapped: list[str] = []
    for column in columns:
        field = chosen[column] if column in chosen else _guess(column, automatic, kind)
        if field is None or (column not in chosen and field in taken):
            unmapped.append(column)  # left out, or its guess taken by an earlier column
        else:
            fields_by_column[column] = field
            taken.add(field)
    return ColumnMapping(fields_by_column, unmapped)


def _guess(column: str, automatic: dict[str, str], kind: ImportKind) -> str | None:
    # "customFields.level" names a custom field even when the workspace list was not given.
    if column.casefold().startswith(CUSTOM_FIELD_PREFIX.casefold()):
        if SPECS[kind].entity is None:
            return None
        key = column[len(CUSTOM_FIELD_PREFIX) :].strip()
        return f"{CUSTOM_FIELD_PREFIX}{key}" if key else None
    return automatic.get(header_key(column))


def missing_fields(
    kind: ImportKind, mode: ImportMode, match_on: Collection[str], fields: Collection[str]
) -> list[tuple[str, ...]]:
    """The groups of fields (one of each is needed) that no column of the file fills."""
    filled = set(fields)
    spec = SPECS[kind]
    needed: list[tuple[str, ...]] = [LINK_FIELDS] if spec.linked else []  # its customer
    with_ = spec.matched_with
    can_match = any(
        field in filled and filled.issuperset(with_.get(field, ())) for field in match_on
    )
    if mode == ImportMode.CREATE or (mode == ImportMode.UPSERT and not can_match):
        needed += spec.new_record_needs
    return [group for group in needed if not filled & set(group)]


def missing_columns_message(
    kind: ImportKind, missing: Sequence[tuple[str, ...]], columns: Sequence[str]
) -> str:
    """What the person who started the import is told: what is missing, what the file has."""
    lacks = "; ".join(_lack(kind, group) for group in missing)
    return f"No column of the file fills {lacks}. {file_columns_sentence(columns)}"


def file_columns_sentence(columns: Sequence[str]) -> str:
    if not columns:
        return "The file has no columns."
    listed = ", ".join(f"“{column}”" for column in columns[:_LISTED])
    more = f" and {len(columns) - _LISTED:,} more" if len(columns) > _LISTED else ""
    return f"The file's columns: {listed}{more}."


def _lack(kind: ImportKind, group: tuple[str, ...]) -> str:
    spec = SPECS[kind]
    record = spec.record
    if group == LINK_FIELDS:
        return (
            f"the customer each {record} belongs to (head a column “customer.externalId”, "
            "“customer.phone” or “customer.name”, such as “客户编号” or “客户名称”, or "
            "map one to it)"
        )
    (field,) = group
    english = next(alias for alias in spec.fields[field] if alias.isascii())
    chinese = next(alias for alias in spec.fields[field] if not alias.isascii())
    return (
        f"the {record}'s {field}, which a new {record} needs (head a column “{field}” or "
        f"“{english}” or “{chinese}”, or map one to it)"
    )
