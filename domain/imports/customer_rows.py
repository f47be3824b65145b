"""Customer imports, second layer: one chunk of mapped rows in, customers created or updated.

`apply_customer_rows` runs inside the caller's transaction (one per chunk). Each row is
checked with the API's rules (`clean_customer_fields`, `clean_contact_fields`,
`clean_custom_fields`); a row with a problem writes nothing and is reported, the others
land. The work costs a constant number of SQL statements per chunk, whatever its size:
the definitions, the members (when an owner column is mapped), one lookup per match
field, the contacts of the matched customers, one id allocation, one multi-row INSERT
per table and one multi-row UPDATE per table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.functions import Lower
from tortoise.models import Model

from domain.custom_fields import Definitions, clean_custom_fields, load_definitions
from domain.customers import clean_contact_fields, clean_customer_fields
from domain.errors import ErrorCode, Problems
from domain.imports.mapping import CUSTOM_FIELD_PREFIX
from domain.imports.values import parse_kind, split_tags
from domain.viewer import Viewer
from models import Contact, Customer, User
from models.enums import CustomerKind, CustomFieldEntity, CustomFieldType, ImportMode

MATCH_FIELDS = ("externalId", "email", "phone", "name")

# Canonical import field → argument of `clean_customer_fields`.
_CUSTOMER_COLUMNS = {
    "name": "name",
    "phone": "phone",
    "email": "email",
    "website": "website",
    "industry": "industry",
    "leadSource": "lead_source",
    "externalId": "external_id",
}
_CONTACT_COLUMNS = ("name", "phone", "email", "title")
_TRUE = {"true", "yes", "y", "1", "是", "对"}
_FALSE = {"false", "no", "n", "0", "否", "不"}
_ROW = "row"  # the prefix given to the shared checks, stripped from the paths they report


@dataclass(frozen=True)
class RowFailure:
    row: int
    field: str | None  # the canonical field ("phone", "contact.email", "customFields.x")
    message: str


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failures: list[RowFailure] = field(default_factory=list)  # one or more per failed row
    failed_rows: set[int] = field(default_factory=set)


@dataclass(eq=False)
class _Contact:
    """A contact of a customer touched by the chunk: stored (`stored`) or to be inserted."""

    values: dict[str, Any]  # all attributes when new; the changes when stored
    phone_normalized: str | None
    email: str | None
    stored: int | None = None  # the stored contact's id


@dataclass(eq=False)
class _Target:
    """A customer rows may match: stored (`stored`) or created by an earlier row of the chunk."""

    values: dict[str, Any]  # all attributes when new; the changes when stored
    custom_fields: dict
    external_id: str | None
    stored: int | None = None  # the stored customer's id
    contacts: list[_Contact] = field(default_factory=list)
    touched: bool = False
    listed: bool = False  # a new one: in the list of customers to insert


@dataclass
class _Parsed:
    number: int
    problems: Problems
    clean: dict[str, Any]  # customer attributes from the cells present
    custom: dict[str, Any]  # custom field values, typed from their text
    contact: dict[str, Any]  # contact attributes from the cells present
    keys: dict[str, str]  # match field → the value compared


# ---------------------------------------------------------------- reading one row


def _field_of(path: str | None) -> str | None:
    if path is None:
        return None
    if path.startswith(f"{_ROW}."):
        path = path[len(_ROW) + 1 :]
    return {"ownerId": "owner"}.get(path, path)


def _typed_custom_value(
    problems: Problems, path: str, kind: CustomFieldType | None, text: str
) -> Any:
    """Cell text as the JSON value the definition's type expects (checked again after)."""
    if kind == CustomFieldType.NUMBER:
        try:
            number = Decimal(text.replace(" ", ""))
        except InvalidOperation:
            problems.add(path, f"“{text}” is not a number.")
            return None
        if not number.is_finite():
            problems.add(path, "Must be a finite number.")
            return None
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomFieldType.BOOLEAN:
        word = text.strip().casefold()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        problems.add(path, f"“{text}” is not yes or no (true/false, yes/no, 1/0, 是/否).")
        return None
    if kind == CustomFieldType.MULTI_SELECT:
        return split_tags(text)
    return text  # TEXT, SELECT, DATE (YYYY-MM-DD), or an undefined key refused later


def _parse(
    number: int,
    cells: dict[str, str | None],
    definitions: Definitions,
    members: _Members,
) -> _Parsed:
    problems = Problems()
    present = {name: value for name, value in cells.items() if value is not None}
    values: dict[str, Any] = {
        column: present[name] for name, column in _CUSTOMER_COLUMNS.items() if name in present
    }
    tags = split_tags(present.get("tags"))
    if tags:
        values["tags"] = tags
    clean = clean_customer_fields(problems, _ROW, values)
    if "kind" in present:
        kind, message = parse_kind(present["kind"])
        if message:
            problems.add("kind", message)
        elif kind is not None:
            clean["kind"] = kind
    if "owner" in present:
        owner_id = members.find(problems, present["owner"])
        if owner_id is not None:
            clean["owner_id"] = owner_id

    defined = definitions.of(CustomFieldEntity.CUSTOMER)
    custom: dict[str, Any] = {}
    for name, text in present.items():
        if name.startswith(CUSTOM_FIELD_PREFIX):
            key = name[len(CUSTOM_FIELD_PREFIX) :]
            definition = defined.get(key)
            value = _typed_custom_value(
                problems, name, definition.type if definition else None, text
            )
            if value is not None:
                custom[key] = value

    contact_values = {
        name: present[f"contact.{name}"]
        for name in _CONTACT_COLUMNS
        if f"contact.{name}" in present
    }
    contact = clean_contact_fields(problems, "contact", contact_values)

    keys: dict[str, str] = {}
    if clean.get("external_id"):
        keys["externalId"] = clean["external_id"]
    if clean.get("email"):
        keys["email"] = clean["email"]
    if clean.get("phone_normalized"):
        keys["phone"] = clean["phone_normalized"]
    if clean.get("name"):
        keys["name"] = clean["name"].lower()
    return _Parsed(number, problems, clean, custom, contact, keys)


class _Members:
    """The workspace's users, found by e-mail or by exact name."""

    def __init__(self, users: list[dict[str, Any]]) -> None:
        self.by_email = {user["email"].lower(): user["id"] for user in users}
        self.by_name: dict[str, list[int]] = {}
        for user in users:
            self.by_name.setdefault(user["name"], []).append(user["id"])

    def find(self, problems: Problems, text: str) -> int | None:
        if text.lower() in self.by_email:
            return self.by_email[text.lower()]
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if found:
            problems.add("owner", f"Several members are named “{text}”: give an e-mail instead.")
        else:
            problems.add("owner", f"No member of this workspace is “{text}”.", ErrorCode.NOT_FOUND)
        return None


# ---------------------------------------------------------------- the chunk


async def apply_customer_rows(
    viewer: Viewer,
    rows: list[tuple[int, dict[str, str | None]]],
    *,
    mode: ImportMode,
    match_on: list[str],
) -> ChunkResult:
    """Creates, updates or skips each row's customer; call inside a transaction."""
    unknown = [name for name in match_on if name not in MATCH_FIELDS]
    if unknown:
        raise ValueError(f"Cannot match customers on {unknown}; use {MATCH_FIELDS}.")
    result = ChunkResult()
    if not rows:
        return result
    definitions = await load_definitions(viewer)
    members = _Members([])
    if any(cells.get("owner") is not None for _, cells in rows):
        members = _Members(
            await User.filter(workspace_id=viewer.workspace_id).values("id", "name", "email")
        )
    parsed = [_parse(number, cells, definitions, members) for number, cells in rows]

    targets, index, by_external_id = await _load_matches(viewer, parsed, match_on)
    await _load_contacts(targets)

    created: list[_Target] = []
    for row in parsed:
        target = next(
            (
                index[name][row.keys[name]]
                for name in match_on
                if name in row.keys and row.keys[name] in index[name]
            ),
            None,
        )
        if (target is None and mode == ImportMode.UPDATE) or (
            target is not None and mode == ImportMode.CREATE
        ):
            result.skipped += 1
            continue
        problems = row.problems  # those of the cells, then those of the create or update
        if target is None:
            target = await _plan_create(viewer, row, problems, definitions, by_external_id)
        else:
            await _plan_update(viewer, row, target, problems, definitions, by_external_id)
        if problems.items:
            _fail(result, row.number, problems)
            continue
        if target.stored is None and not target.listed:
            target.listed = True
            created.append(target)
            result.created += 1
        else:
            result.updated += 1
        for name, key in row.keys.items():
            index[name].setdefault(key, target)
        if target.external_id is not None:
            by_external_id.setdefault(target.external_id, target)

    await _write(viewer, created, list(targets.values()))
    return result


def _fail(result: ChunkResult, number: int, problems: Problems) -> None:
    result.failed_rows.add(number)
    for problem in problems.items:
        result.failures.append(RowFailure(number, _field_of(problem.field), problem.message))


async def _load_matches(
    viewer: Viewer, parsed: list[_Parsed], match_on: list[str]
) -> tuple[dict[int, _Target], dict[str, dict[str, _Target]], dict[str, _Target]]:
    """The stored customers the rows may match or collide with: one query per field."""
    wanted: dict[str, set[str]] = {name: set() for name in MATCH_FIELDS}
    for row in parsed:
        for name, key in row.keys.items():
            wanted[name].add(key)
    lookups = {name for name in match_on if wanted[name]}
    if wanted["externalId"]:
        lookups.add("externalId")  # a new external id must not be taken
    targets: dict[int, _Target] = {}
    index: dict[str, dict[str, _Target]] = {name: {} for name in MATCH_FIELDS}
    scope = Customer.filter(workspace_id=viewer.workspace_id)
    for name in MATCH_FIELDS:
        if name not in lookups:
            continue
        keys = sorted(wanted[name])
        if name == "externalId":
            query = scope.filter(external_id__in=keys)
        elif name == "email":
            query = scope.filter(email__in=keys)
        elif name == "phone":
            query = scope.filter(phone_normalized__in=keys)
        else:
            query = scope.annotate(name_lower=Lower("name")).filter(name_lower__in=keys)
        found = await query.order_by("id").values(
            "id", "name", "email", "phone_normalized", "external_id", "custom_fields"
        )
        for customer in found:  # plain values: model objects cost more than the query
            target = targets.get(customer["id"])
            if target is None:
                custom_fields = customer["custom_fields"] or {}
                if isinstance(custom_fields, str):
                    custom_fields = json.loads(custom_fields)
                target = targets[customer["id"]] = _Target(
                    {}, custom_fields, customer["external_id"], stored=customer["id"]
                )
            key = {
                "externalId": customer["external_id"],
                "email": customer["email"],
                "phone": customer["phone_normalized"],
                "name": (customer["name"] or "").lower(),
            }[name]
            if key is not None:
                index[name].setdefault(key, target)  # the oldest of several
    by_external_id = dict(index["externalId"])
    if "externalId" not in match_on:
        index["externalId"] = {}
    return targets, index, by_external_id


async def _load_contacts(targets: dict[int, _Target]) -> None:
    if not targets:
        return
    contacts = (
        await Contact.filter(customer_id__in=list(targets))
        .order_by("id")
        .values("id", "customer_id", "phone_normalized", "email")
    )
    for contact in contacts:
        targets[contact["customer_id"]].contacts.append(
            _Contact({}, contact["phone_normalized"], contact["email"], stored=contact["id"])
        )


def _check_external_id(
    problems: Problems,
    external_id: str | None,
    target: _Target | None,
    by_external_id: dict[str, _Target],
) -> None:
    holder = by_external_id.get(external_id) if external_id is not None else None
    if holder is not None and holder is not target:
        problems.add(
            "externalId",
            f"Another customer already has external id “{external_id}”.",
            ErrorCode.DUPLICATE,
        )


async def _new_contact(
    viewer: Viewer, clean: dict[str, Any], problems: Problems, definitions: Definitions
) -> dict[str, Any]:
    values = dict(clean)
    if "name" not in values:
        values["name"] = ""
        problems.add("contact.name", "A new contact needs a name.", ErrorCode.REQUIRED)
    values["custom_fields"] = await clean_custom_fields(
        problems,
        viewer,
        CustomFieldEntity.CONTACT,
        None,
        existing=None,
        path="contact.customFields",
        definitions=definitions,
    )
    return values


async def _plan_create(
    viewer: Viewer,
    row: _Parsed,
    problems: Problems,
    definitions: Definitions,
    by_external_id: dict[str, _Target],
) -> _Target:
    values = dict(row.clean)
    if "name" not in values:
        problems.add("name", "Must not be blank.", ErrorCode.REQUIRED)
    values.setdefault("kind", CustomerKind.COMPANY)
    if values.get("owner_id") is None:
        values["owner_id"] = viewer.user_id
    values["custom_fields"] = await clean_custom_fields(
        problems,
        viewer,
        CustomFieldEntity.CUSTOMER,
        row.custom,
        existing=None,
        path="customFields",
        definitions=definitions,
    )
    _check_external_id(problems, values.get("external_id"), None, by_external_id)
    target = _Target(values, values["custom_fields"], values.get("external_id"))
    if row.contact:
        contact = await _new_contact(viewer, row.contact, problems, definitions)
        contact["is_primary"] = True
        target.contacts.append(
            _Contact(contact, contact.get("phone_normalized"), contact.get("email"))
        )
    return target


async def _plan_update(
    viewer: Viewer,
    row: _Parsed,
    target: _Target,
    problems: Problems,
    definitions: Definitions,
    by_external_id: dict[str, _Target],
) -> None:
    """Checks the row's changes to `target`, then (when all is well) applies them to it."""
    changes = dict(row.clean)
    if row.custom:
        changes["custom_fields"] = await clean_custom_fields(
            problems,
            viewer,
            CustomFieldEntity.CUSTOMER,
            row.custom,
            existing=target.custom_fields,
            path="customFields",
            definitions=definitions,
        )
    if changes.get("external_id") not in (None, target.external_id):
        _check_external_id(problems, changes["external_id"], target, by_external_id)
    contact_match: _Contact | None = None
    new_contact: dict[str, Any] | None = None
    if row.contact:
        phone, email = row.contact.get("phone_normalized"), row.contact.get("email")
        contact_match = next(
            (
                c
                for c in target.contacts
                if (phone and c.phone_normalized == phone) or (email and c.email == email)
            ),
            None,
        )
        if contact_match is None:
            new_contact = await _new_contact(viewer, row.contact, problems, definitions)
            new_contact["is_primary"] = not target.contacts
    if problems.items:
        return
    target.values.update(changes)
    target.touched = True
    if "custom_fields" in changes:
        target.custom_fields = changes["custom_fields"]
    if "external_id" in changes:
        target.external_id = changes["external_id"]
    if contact_match is not None:
        contact_match.values.update(row.contact)
        contact_match.phone_normalized = (
            row.contact.get("phone_normalized") or contact_match.phone_normalized
        )
        contact_match.email = row.contact.get("email") or contact_match.email
    elif new_contact is not None:
        target.contacts.append(
            _Contact(new_contact, new_contact.get("phone_normalized"), new_contact.get("email"))
        )


# ---------------------------------------------------------------- writing


async def _write(viewer: Viewer, created: list[_Target], matched: list[_Target]) -> None:
    db = Customer._meta.db
    now = datetime.now(UTC)
    if created:
        ids = await _allocate_ids(db, Customer, len(created))
        for pk, target in zip(ids, created, strict=True):
            target.values["id"] = pk
            target.values["workspace_id"] = viewer.workspace_id
        await _insert_rows(db, Customer, [target.values for target in created], now)
    new_contacts: list[dict[str, Any]] = []
    contact_changes: dict[int, dict[str, Any]] = {}
    for target in [*created, *matched]:
        customer_id = target.stored or target.values["id"]
        for contact in target.contacts:
            if contact.stored is None:
                contact.values["workspace_id"] = viewer.workspace_id
                contact.values["customer_id"] = customer_id
                new_contacts.append(contact.values)
            elif contact.values:
                contact_changes[contact.stored] = contact.values
    # A change to a contact is a change to its customer (clients sync by updatedSince).
    customer_changes = {t.stored: t.values for t in matched if t.touched and t.stored}
    await _update_rows(db, Customer, customer_changes, now)
    await _insert_rows(db, Contact, new_contacts, now)
    await _update_rows(db, Contact, contact_changes, now)


async def _allocate_ids(db: Any, model: type[Model], count: int) -> list[int]:
    """`count` fresh primary keys, so that the rows inserted in bulk are known by id.

    PostgreSQL hands them out from the table's sequence. SQLite has one writer, and the
    chunk's transaction holds it once it has written; ids follow the largest ever given.
    """
    table = model._meta.db_table
    if db.capabilities.dialect == "postgres":
        rows = await db.execute_query_dict(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id "
            "FROM generate_series(1, $1) ORDER BY 1",
            [count],
        )
        return [row["id"] for row in rows]
    rows = await db.execute_query_dict(
        f'SELECT MAX(top) AS id FROM (SELECT MAX(id) AS top FROM "{table}" '
        f"UNION ALL SELECT seq AS top FROM sqlite_sequence WHERE name = '{table}')"
    )
    start = (rows[0]["id"] or 0) + 1
    return list(range(start, start + count))


# SQLite takes at most 32766 parameters per statement; PostgreSQL gets one array per column.
_SQLITE_PARAMETERS = 30_000


def _sql_type(model: type[Model], name: str) -> str:
    return model._meta.fields_map[name].get_for_dialect("postgres", "SQL_TYPE")


def _batches(rows: list, width: int) -> list[list]:
    size = max(1, _SQLITE_PARAMETERS // max(width, 1))
    return [rows[start : start + size] for start in range(0, len(rows), size)]


async def _insert_rows(
    db: Any, model: type[Model], rows: list[dict[str, Any]], now: datetime
) -> None:
    """All rows in one INSERT; the fields a row does not give take the model's defaults.

    Tortoise's bulk_create builds a model object per row and runs an executemany (and
    sets no ids); this is several times faster. PostgreSQL reads the rows from one array
    per column (`unnest`), so the statement text stays the same and is prepared once.
    """
    if not rows:
        return
    meta = model._meta
    names = [name for name in meta.fields_db_projection if name != "id" or "id" in rows[0]]
    defaults: dict[str, Any] = {}
    for name in names:
        field_object = meta.fields_map[name]
        auto = getattr(field_object, "auto_now", False) or getattr(
            field_object, "auto_now_add", False
        )
        defaults[name] = now if auto else field_object.default
    records = []
    for row in rows:
        record = []
        for name in names:
            value = row[name] if name in row else defaults[name]
            if callable(value):
                value = value()
            record.append(meta.fields_map[name].to_db_value(value, None))
        records.append(record)
    table = meta.db_table
    columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in names)
    if db.capabilities.dialect == "postgres":
        arrays = ", ".join(
            f"${position}::{_sql_type(model, name)}[]" for position, name in enumerate(names, 1)
        )
        params = [list(column) for column in zip(*records, strict=True)]
        await db.execute_query(
            f'INSERT INTO "{table}" ({columns}) SELECT * FROM unnest({arrays})', params
        )
        return
    for batch in _batches(records, len(names)):
        tuples = ", ".join(f"({', '.join('?' * len(names))})" for _ in batch)
        params = [value for record in batch for value in record]
        await db.execute_query(f'INSERT INTO "{table}" ({columns}) VALUES {tuples}', params)


async def _update_rows(
    db: Any, model: type[Model], changes: dict[int, dict[str, Any]], now: datetime
) -> None:
    """All rows in one UPDATE, each row's columns set from its values; a NULL value keeps
    the stored one (an import never writes NULL: blank cells are not changes)."""
    if not changes:
        return
    table = model._meta.db_table
    fields_map = model._meta.fields_map
    columns = sorted({column for values in changes.values() for column in values})
    names = ["id", *columns]
    records = [
        [pk]
        + [
            None
            if values.get(column) is None
            else fields_map[column].to_db_value(values[column], None)
            for column in columns
        ]
        for pk, values in changes.items()
    ]
    updated_at = fields_map["updated_at"].to_db_value(now, None)
    quoted = ", ".join(f'"{name}"' for name in names)
    sets = ", ".join(f'"{c}" = COALESCE(v."{c}", "{table}"."{c}")' for c in columns)
    if sets:
        sets += ", "
    if db.capabilities.dialect == "postgres":
        arrays = ", ".join(
            f"${position}::{_sql_type(model, name)}[]" for position, name in enumerate(names, 1)
        )
        params = [list(column) for column in zip(*records, strict=True)]
        await db.execute_query(
            f'UPDATE "{table}" SET {sets}"updated_at" = ${len(names) + 1}::TIMESTAMPTZ '
            f'FROM unnest({arrays}) AS v ({quoted}) WHERE "{table}"."id" = v."id"',
            [*params, updated_at],
        )
        return
    for batch in _batches(records, len(names)):
        tuples = ", ".join(f"({', '.join('?' * len(names))})" for _ in batch)
        params = [value for record in batch for value in record]
        await db.execute_query(
            f"WITH v ({quoted}) AS (VALUES {tuples}) "
            f'UPDATE "{table}" SET {sets}"updated_at" = ? FROM v WHERE "{table}"."id" = v."id"',
            [*params, updated_at],
        )
