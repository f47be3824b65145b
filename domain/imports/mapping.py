"""File columns → the canonical fields of an import kind: guessed from the headers, or given."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as MappingOf
from dataclasses import dataclass

from domain.errors import ErrorCode, Problems
from domain.imports.rows import RawRow
from domain.imports.values import parse_kind, split_tags
from models.enums import CustomFieldEntity, ImportKind

__all__ = [
    "CUSTOMER_FIELDS",
    "CUSTOM_FIELD_ENTITIES",
    "CUSTOM_FIELD_PREFIX",
    "DEFAULT_MATCH_ON",
    "MATCH_FIELDS",
    "ColumnMapping",
    "build_mapping",
    "fields_of",
    "header_key",
    "is_known_field",
    "parse_kind",
    "split_tags",
]

CUSTOM_FIELD_PREFIX = "customFields."

Aliases = dict[str, tuple[str, ...]]

# The headers each field is recognised by, beside its own name ("leadSource", "contact.name").
_CUSTOMER_ALIASES: Aliases = {
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

# Contacts, activities and opportunities name the customer they belong to; each row's
# link is tried in this order, with whichever of these columns the file has.
_CUSTOMER_LINK: Aliases = {
    "customer.externalId": ("客户编号", "客户外部编号", "customer external id", "customer id"),
    "customer.phone": ("客户电话", "客户手机", "customer phone"),
    "customer.name": (
        "客户名称",
        "客户",
        "公司名称",
        "公司",
        "customer",
        "customer name",
        "company",
        "company name",
    ),
}
# In a file of activities or deals a bare phone column is the customer's (a contact's
# phone there finds no customer, and the name column is tried next).
_CUSTOMER_LINK_WITH_PHONE: Aliases = _CUSTOMER_LINK | {
    "customer.phone": (
        *_CUSTOMER_LINK["customer.phone"],
        "电话",
        "手机",
        "联系电话",
        "phone",
        "mobile",
        "tel",
    )
}

_CONTACT_ALIASES: Aliases = {
    "name": ("姓名", "联系人", "联系人姓名", "name", "contact", "contact name", "full name"),
    "phone": ("手机", "电话", "手机号", "联系电话", "联系人电话", "phone", "mobile", "tel"),
    "email": ("邮箱", "电子邮件", "联系人邮箱", "email", "e-mail"),
    "title": ("职位", "职务", "title", "job title", "position"),
    "isPrimary": ("主联系人", "是否主联系人", "primary", "is primary", "primary contact"),
    "notes": ("备注", "notes", "remark"),
    **_CUSTOMER_LINK,
}

_ACTIVITY_ALIASES: Aliases = {
    "kind": ("类型", "方式", "跟进方式", "跟进类型", "活动类型", "kind", "type", "activity type"),
    "occurredAt": (
        "时间",
        "日期",
        "跟进时间",
        "跟进日期",
        "发生时间",
        "occurred at",
        "date",
        "time",
        "when",
    ),
    "content": (
        "内容",
        "沟通内容",
        "跟进内容",
        "客户反馈",
        "备注",
        "content",
        "notes",
        "summary",
        "description",
    ),
    "nextFollowUpAt": (
        "下次跟进时间",
        "下次跟进日期",
        "下次跟进",
        "next follow up",
        "next follow up at",
        "follow up at",
    ),
    "contact": ("联系人", "contact", "contact name"),
    "author": ("跟进人", "负责人", "销售", "author", "owner", "rep"),
    "opportunity": ("商机", "商机名称", "opportunity", "deal"),
    "externalId": ("外部编号", "活动编号", "编号", "external id", "id"),
    **_CUSTOMER_LINK_WITH_PHONE,
}

_OPPORTUNITY_ALIASES: Aliases = {
    "name": (
        "商机名称",
        "机会名称",
        "商机",
        "名称",
        "name",
        "opportunity",
        "opportunity name",
        "deal",
        "deal name",
    ),
    "pipeline": ("销售流程", "流程", "pipeline"),
    "stage": ("阶段", "销售阶段", "商机阶段", "stage"),
    "amount": ("金额", "商机金额", "预计金额", "amount", "value"),
    "currency": ("币种", "货币", "currency"),
    "expectedCloseDate": (
        "预计成交日期",
        "预计成交时间",
        "预计签单日期",
        "expected close date",
        "close date",
    ),
    "owner": ("负责人", "销售", "owner"),
    "probability": ("赢率", "成交概率", "概率", "probability", "win probability"),
    "externalId": ("外部编号", "商机编号", "编号", "external id", "id"),
    **_CUSTOMER_LINK_WITH_PHONE,
}

_ALIASES: dict[ImportKind, Aliases] = {
    ImportKind.CUSTOMERS: _CUSTOMER_ALIASES,
    ImportKind.CONTACTS: _CONTACT_ALIASES,
    ImportKind.ACTIVITIES: _ACTIVITY_ALIASES,
    ImportKind.OPPORTUNITIES: _OPPORTUNITY_ALIASES,
}

CUSTOMER_FIELDS: tuple[str, ...] = tuple(_CUSTOMER_ALIASES)

# The kinds whose records hold custom fields, and the entity their definitions are for.
CUSTOM_FIELD_ENTITIES: dict[ImportKind, CustomFieldEntity] = {
    ImportKind.CUSTOMERS: CustomFieldEntity.CUSTOMER,
    ImportKind.CONTACTS: CustomFieldEntity.CONTACT,
    ImportKind.OPPORTUNITIES: CustomFieldEntity.OPPORTUNITY,
}

# The fields `matchOn` may name per kind, and those used when it is not given. A contact
# is matched within its customer; an activity's "content" is its natural key (the same
# customer, kind, occurredAt and content); an opportunity's "name" is the same customer
# and name in the same pipeline.
MATCH_FIELDS: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.CUSTOMERS: ("externalId", "email", "phone", "name"),
    ImportKind.CONTACTS: ("email", "phone", "name"),
    ImportKind.ACTIVITIES: ("externalId", "content"),
    ImportKind.OPPORTUNITIES: ("externalId", "name"),
}
DEFAULT_MATCH_ON: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.CUSTOMERS: ("externalId", "email", "phone"),
    ImportKind.CONTACTS: ("email", "phone"),
    ImportKind.ACTIVITIES: ("externalId", "content"),
    ImportKind.OPPORTUNITIES: ("externalId", "name"),
}

_RECORD_NAMES = {
    ImportKind.CUSTOMERS: "a customer",
    ImportKind.CONTACTS: "a contact",
    ImportKind.ACTIVITIES: "an activity",
    ImportKind.OPPORTUNITIES: "an opportunity",
}


def fields_of(kind: ImportKind) -> tuple[str, ...]:
    """The built-in fields of `kind` (custom fields come on top, for kinds that have them)."""
    return tuple(_ALIASES[kind])


def header_key(header: str) -> str:
    """A header as compared: full-width folded, case-folded, only letters and digits kept.

    "E-mail", "email " and "ＥＭＡＩＬ" meet; so do "Lead Source" and "lead_source".
    """
    folded = unicodedata.normalize("NFKC", header).casefold()
    return "".join(char for char in folded if char.isalnum())


def _automatic_fields(kind: ImportKind, custom_fields: MappingOf[str, str]) -> dict[str, str]:
    """header key → field, for the kind's built-in fields and the workspace's custom fields."""
    by_key: dict[str, str] = {}
    for field, aliases in _ALIASES[kind].items():
        for alias in (field, *aliases):
            by_key.setdefault(header_key(alias), field)
    if kind not in CUSTOM_FIELD_ENTITIES:
        return by_key
    for key, label in custom_fields.items():
        for alias in (f"{CUSTOM_FIELD_PREFIX}{key}", key, label):
            # A built-in field keeps its headers: a custom field labelled "电话" must not
            # steal the phone column.
            by_key.setdefault(header_key(alias), f"{CUSTOM_FIELD_PREFIX}{key}")
    return by_key


def is_known_field(field: str, kind: ImportKind = ImportKind.CUSTOMERS) -> bool:
    if field.startswith(CUSTOM_FIELD_PREFIX):
        return kind in CUSTOM_FIELD_ENTITIES and bool(
            field.removeprefix(CUSTOM_FIELD_PREFIX).strip()
        )
    return field in _ALIASES[kind]


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
            problems.add(f"{path}.field", f"“{field}” is not {_RECORD_NAMES[kind]} field.")
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
        if column in chosen:
            field = chosen[column]
        else:
            field = _guess(column, automatic, kind)
            if field in taken:
                field = None
        if field is None:
            unmapped.append(column)
        else:
            fields_by_column[column] = field
            taken.add(field)
    return ColumnMapping(fields_by_column, unmapped)


def _guess(column: str, automatic: dict[str, str], kind: ImportKind) -> str | None:
    # "customFields.level" names a custom field even when the workspace list was not given.
    if column.casefold().startswith(CUSTOM_FIELD_PREFIX.casefold()):
        if kind not in CUSTOM_FIELD_ENTITIES:
            return None
        key = column[len(CUSTOM_FIELD_PREFIX) :].strip()
        return f"{CUSTOM_FIELD_PREFIX}{key}" if key else None
    return automatic.get(header_key(column))
