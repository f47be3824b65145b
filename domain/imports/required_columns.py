"""The columns a file of each kind cannot do without: lacking one, every row would fail alike.

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

from collections.abc import Collection, Sequence

from domain.imports.links import LINK_FIELDS
from domain.imports.specs import SPECS
from models.enums import ImportKind, ImportMode

# Columns named in a failure, at most (a file may have 1,000).
_LISTED = 50


def missing_fields(
    kind: ImportKind, mode: ImportMode, match_on: Collection[str], fields: Collection[str]
) -> list[tuple[str, ...]]:
    """The groups of fields (one of each is needed) that no column of the file fills."""
    filled = set(fields)
    spec = SPECS[kind]
    needed = list(spec.every_row_needs)
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
