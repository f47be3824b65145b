"""File columns → canonical customer fields: guessed from the headers, or given explicitly."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as MappingOf
from dataclasses import dataclass

from domain.errors import ErrorCode, Problems
from domain.imports.rows import RawRow
from domain.imports.values import parse_kind, split_tags

__all__ = [
    "CUSTOMER_FIELDS",
    "CUSTOM_FIELD_PREFIX",
    "ColumnMapping",
    "build_mapping",
    "header_key",
    "parse_kind",
    "split_tags",
]

CUSTOM_FIELD_PREFIX = "customFields."

# The headers each field is recognised by, beside its own name ("leadSource", "contact.name").
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("客户名称", "公司名称", "名称", "name", "company", "customer"),
    "kind": ("类型", "type", "kind"),
    "phone": ("电话", "手机", "联系电话", "phone", "mobile", "tel"),
    "email": ("邮箱", "电子邮件", "email", "e-mail"),
    "website": ("网址", "网站", "website", "url"),
    "industry": ("行业", "industry"),
    "leadSource": ("线索来源", "来源", "lead source", "source"),
    "tags": ("标签", "tags"),
    "externalId": ("外部编号", "编号", "external id", "id"),
    "owner": ("负责人", "owner"),
    "notes": ("备注", "notes", "remark"),
    "contact.name": ("联系人", "contact", "contact name"),
    "contact.phone": ("联系人电话", "contact phone"),
    "contact.email": ("联系人邮箱", "contact email"),
    "contact.title": ("职位", "title", "contact title"),
}

CUSTOMER_FIELDS: tuple[str, ...] = tuple(_ALIASES)


def header_key(header: str) -> str:
    """A header as compared: full-width folded, case-folded, only letters and digits kept.

    "E-mail", "email " and "ＥＭＡＩＬ" meet; so do "Lead Source" and "lead_source".
    """
    folded = unicodedata.normalize("NFKC", header).casefold()
    return "".join(char for char in folded if char.isalnum())


def _automatic_fields(custom_fields: MappingOf[str, str]) -> dict[str, str]:
    """header key → field, for the built-in fields and the workspace's custom fields."""
    by_key: dict[str, str] = {}
    for field, aliases in _ALIASES.items():
        for alias in (field, *aliases):
            by_key.setdefault(header_key(alias), field)
    for key, label in custom_fields.items():
        for alias in (f"{CUSTOM_FIELD_PREFIX}{key}", key, label):
            # A built-in field keeps its headers: a custom field labelled "电话" must not
            # steal the phone column.
            by_key.setdefault(header_key(alias), f"{CUSTOM_FIELD_PREFIX}{key}")
    return by_key


def is_known_field(field: str) -> bool:
    if field.startswith(CUSTOM_FIELD_PREFIX):
        return bool(field.removeprefix(CUSTOM_FIELD_PREFIX).strip())
    return field in _ALIASES


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
    custom_fields: MappingOf[str, str] | None = None,
) -> ColumnMapping:
    """Maps the file's columns to fields; raises DomainError listing every mistake.

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
        elif field is not None and not is_known_field(field):
            problems.add(f"{path}.field", f"“{field}” is not a customer field.")
        elif field is not None and field in chosen.values():
            problems.add(
                f"{path}.field", f"Two columns are mapped to “{field}”.", ErrorCode.DUPLICATE
            )
        else:
            chosen[column] = field
    problems.raise_if_any()

    automatic = _automatic_fields(custom_fields or {})
    taken = {field for field in chosen.values() if field is not None}
    fields_by_column: dict[str, str] = {}
    unmapped: list[str] = []
    for column in columns:
        if column in chosen:
            field = chosen[column]
        else:
            field = _guess(column, automatic)
            if field in taken:
                field = None
        if field is None:
            unmapped.append(column)
        else:
            fields_by_column[column] = field
            taken.add(field)
    return ColumnMapping(fields_by_column, unmapped)


def _guess(column: str, automatic: dict[str, str]) -> str | None:
    # "customFields.level" names a custom field even when the workspace list was not given.
    if column.casefold().startswith(CUSTOM_FIELD_PREFIX.casefold()):
        key = column[len(CUSTOM_FIELD_PREFIX) :].strip()
        return f"{CUSTOM_FIELD_PREFIX}{key}" if key else None
    return automatic.get(header_key(column))
