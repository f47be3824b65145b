"""Customer imports, second layer: one chunk of mapped rows in, customers created or updated.

`apply_customer_rows` runs inside the caller's transaction (one per chunk). Each row is
checked with the API's rules (`clean_customer_fields`, `clean_contact_fields`,
`clean_custom_fields`); a row with a problem writes nothing and is reported, the others
land. The work costs a constant number of SQL statements per chunk, whatever its size:
the definitions, the members (when an owner column is mapped), one lookup per match
field, the contacts of the matched customers, one id allocation per table, one
multi-row INSERT (COPY on PostgreSQL) per table and one multi-row UPDATE per table; and,
given the job's `file`, what earlier chunks did to those customers (one statement, two
in a dry run, plus one lookup of the stored customers they gave keys) and what this one
did (one INSERT, by the runner).

It comes in two steps the runner may pull apart: `check_customer_rows` (the cells, no
transaction needed) and `CheckedCustomerRows.apply` (matching and writing, in the
chunk's transaction).
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from domain import bulk_sql, sql
from domain.custom_fields import Definitions, clean_custom_fields, load_definitions
from domain.customers import (
    NEW_CONTACT_NEEDS_NAME,
    clean_contact_fields,
    clean_customer_fields,
    primary_by_default,
    settle_primary,
)
from domain.errors import ErrorCode, Problem, Problems
from domain.imports.cells import (
    ROW,
    ChunkResult,
    check_external_id,
    check_match_on,
    fail,
    fail_with,
    skipped_by_mode,
    typed_custom_fields,
)
from domain.imports.file_keys import FileKeys, first_given, given_of, plain
from domain.imports.links import Members
from domain.imports.mapping import MATCH_FIELDS as _MATCH_FIELDS
from domain.imports.matches import Found, Given, label, overwrites, remember, resolve
from domain.imports.values import parse_kind, split_tags
from domain.viewer import Viewer
from models import Contact, Customer
from models.enums import CustomerKind, CustomFieldEntity, ImportKind, ImportMode

MATCH_FIELDS = _MATCH_FIELDS[ImportKind.CUSTOMERS]

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
_CONTACT_CELLS = tuple((name, f"contact.{name}") for name in _CONTACT_COLUMNS)


@dataclass(eq=False, slots=True)
class _Contact:
    """A contact of a customer touched by the chunk: stored (`stored`) or to be inserted."""

    values: dict[str, Any]  # all attributes when new; the changes when stored
    phone_normalized: str | None
    email: str | None
    stored: int | None = None  # the stored contact's id
    name: str | None = None  # for messages
    row: int | None = None  # a new one: the row that created it
    given: Given = field(default_factory=list)  # what rows of the file gave it
    # One an earlier chunk of a dry run would have created: nothing to write to.
    unwritten: bool = False


@dataclass(eq=False, slots=True)
class _Target:
    """A customer rows may match: stored (`stored`) or created by an earlier row of the chunk."""

    values: dict[str, Any]  # all attributes when new; the changes when stored
    custom_fields: dict
    external_id: str | None
    stored: int | None = None  # the stored customer's id
    name: str | None = None  # as stored, or as its row gave it: for messages
    contacts: list[_Contact] = field(default_factory=list)
    touched: bool = False
    listed: bool = False  # a new one: in the list of customers to insert
    record: tuple = ()  # a new one: its values as inserted, laid out while checking
    row: int | None = None  # a new one: the row that created it
    given: Given = field(default_factory=list)  # what rows of the file gave it
    # match field → its key, as stored and as rows gave it (what a dry run's later chunks
    # find it by: see `file_keys`)
    keys: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Creation:
    """What a row creates if it matches no customer, worked out and checked ahead."""

    target: _Target  # the new customer, with its first contact
    contact: dict[str, Any] | None  # that contact's attributes (a new contact on update)
    problems: list[Problem]  # found before the external id is checked…
    contact_problems: list[Problem]  # … and after it, in the order the API reports them


@dataclass
class _Parsed:
    number: int
    problems: Problems
    clean: dict[str, Any]  # customer attributes from the cells present
    custom: dict[str, Any]  # custom field values, typed from their text
    contact: dict[str, Any]  # contact attributes from the cells present
    keys: dict[str, str]  # match field → the value compared
    creation: _Creation = field(init=False)


# ---------------------------------------------------------------- reading one row


# A file's kinds and tag lists repeat from row to row: each distinct cell is read once.
_kind = functools.lru_cache(maxsize=1024)(parse_kind)


@functools.lru_cache(maxsize=1024)
def _tags(text: str | None) -> tuple[str, ...]:
    return tuple(split_tags(text))


def _parse(
    number: int,
    cells: dict[str, str | None],
    definitions: Definitions,
    members: Members,
) -> _Parsed:
    problems = Problems()
    present = {name: value for name, value in cells.items() if value is not None}
    values: dict[str, Any] = {
        column: present[name] for name, column in _CUSTOMER_COLUMNS.items() if name in present
    }
    tags = _tags(present.get("tags"))
    if tags:
        values["tags"] = tags
    clean = clean_customer_fields(problems, ROW, values)
    if "kind" in present:
        kind, message = _kind(present["kind"])
        if message:
            problems.add("kind", message)
        elif kind is not None:
            clean["kind"] = kind
    if "owner" in present:
        owner_id = members.find(problems, "owner", present["owner"])
        if owner_id is not None:
            clean["owner_id"] = owner_id

    custom = typed_custom_fields(problems, present, definitions, CustomFieldEntity.CUSTOMER)

    contact_values = {name: present[cell] for name, cell in _CONTACT_CELLS if cell in present}
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


# ---------------------------------------------------------------- the chunk


# Checking a chunk hands the event loop back this often (rows), so that a chunk being
# committed meanwhile never waits long to send its next statement.
_ROWS_BETWEEN_YIELDS = 16


@dataclass
class CheckedCustomerRows:
    """A chunk's rows, every cell checked, before anything is looked up or written.

    Checking needs no transaction: the runner checks the next chunk while the database
    still writes the previous one (see `domain.imports.commits`).
    """

    viewer: Viewer
    definitions: Definitions
    rows: list[_Parsed]
    wanted: dict[str, set[str]]  # match field → the values the rows give
    layout: bulk_sql.RowLayout  # of the customers the rows may create

    async def apply(
        self, *, mode: ImportMode, match_on: list[str], file: FileKeys | None = None
    ) -> ChunkResult:
        """Creates, updates or skips each row's customer; call inside a transaction.
        `file`: what earlier chunks of the file did (see `file_keys`)."""
        check_match_on(ImportKind.CUSTOMERS, match_on)
        return await _apply(self, mode, match_on, file)


async def check_customer_rows(
    viewer: Viewer, rows: list[tuple[int, dict[str, str | None]]]
) -> CheckedCustomerRows:
    """Checks each row's cells with the API's rules (two statements at most: the custom
    field definitions, and the members when an owner column is mapped)."""
    wanted: dict[str, set[str]] = {name: set() for name in MATCH_FIELDS}
    if not rows:
        return CheckedCustomerRows(
            viewer, Definitions({}), [], wanted, bulk_sql.RowLayout(Customer)
        )
    definitions = await load_definitions(viewer)
    members = await Members.load(viewer, [cells for _, cells in rows], "owner")
    layout = bulk_sql.RowLayout(Customer)
    parsed: list[_Parsed] = []
    for start in range(0, len(rows), _ROWS_BETWEEN_YIELDS):
        batch = [
            _parse(number, cells, definitions, members)
            for number, cells in rows[start : start + _ROWS_BETWEEN_YIELDS]
        ]
        for row in batch:
            row.creation = await _creation(viewer, row, definitions)
            for name, key in row.keys.items():
                wanted[name].add(key)
        targets = [row.creation.target for row in batch]
        for target, record in zip(
            targets, layout.records([t.values for t in targets]), strict=True
        ):
            target.record = record
        parsed += batch
        await asyncio.sleep(0)  # a chunk being committed meanwhile sends its next statement
    return CheckedCustomerRows(viewer, definitions, parsed, wanted, layout)


async def apply_customer_rows(
    viewer: Viewer,
    rows: list[tuple[int, dict[str, str | None]]],
    *,
    mode: ImportMode,
    match_on: list[str],
    file: FileKeys | None = None,
) -> ChunkResult:
    """Creates, updates or skips each row's customer; call inside a transaction."""
    checked = await check_customer_rows(viewer, rows)
    return await checked.apply(mode=mode, match_on=match_on, file=file)


async def _apply(
    checked: CheckedCustomerRows, mode: ImportMode, match_on: list[str], file: FileKeys | None
) -> ChunkResult:
    viewer, definitions, parsed = checked.viewer, checked.definitions, checked.rows
    result = ChunkResult()
    if not parsed:
        return result
    # Rows that match are changed (but in CREATE mode): locked as they are read, so that an
    # edit committed meanwhile is not overwritten by the custom fields merged into here.
    found_by_file: list[int] = []  # stored customers a dry run's earlier rows gave a key
    if file is not None:
        found_by_file = await file.find(
            (name, key) for name, keys in checked.wanted.items() for key in keys
        )
    targets, index, by_external_id = await _load_matches(
        viewer, checked.wanted, match_on, found_by_file, lock=mode != ImportMode.CREATE
    )
    await _load_contacts(targets)
    if file is not None:
        await _load_file(file, match_on, targets, index, by_external_id)
    landed: dict[int, _Target] = {}  # by id(): what the chunk leaves for later ones

    def holders(name: str, key: Hashable) -> list[_Target]:
        return index[name].get(cast(str, key), _NONE)  # a customer's keys are text

    created: list[_Target] = []
    for row in parsed:
        found = resolve(
            match_on, row.keys, holders, row.clean.get("external_id"), _external_id, _describe
        )
        if found.problem is not None:
            fail_with(result, row.number, row.problems, found.problem)
            continue
        target = found.record
        if skipped_by_mode(mode, target is not None):
            result.skipped += 1
            if found.key is not None:
                result.matched_by[found.key] += 1
            continue
        problems = row.problems  # those of the cells, then those of the create or update
        if target is None:
            target = _plan_create(row, problems, by_external_id)
        else:
            problems.extend(
                overwrites(target.given, row.clean, row.custom, "customer", _SHOWN, _NOT_GIVEN)
            )
            await _plan_update(viewer, row, target, problems, definitions, by_external_id)
        if problems.items:
            fail(result, row.number, problems)
            continue
        if target.stored is None and not target.listed:
            target.listed = True
            target.row = row.number
            for contact in target.contacts:  # its first, from this row's cells
                contact.row = row.number
                remember(contact.given, row.number, row.contact, {})
            created.append(target)
            result.created += 1
        else:
            result.updated += 1
            result.matched_by[found.key or ""] += 1
        remember(target.given, row.number, row.clean, row.custom)
        landed[id(target)] = target
        target.keys.update(row.keys)
        for name in match_on:  # the only fields rows are matched by
            key = row.keys.get(name)
            if key is None:
                continue
            held = index[name].get(key)
            if held is None:
                index[name][key] = [target]
            elif all(other is not target for other in held):
                held.append(target)
        if target.external_id is not None:
            by_external_id.setdefault(target.external_id, target)

    await _write(viewer, created, list(targets.values()), checked.layout)
    if file is not None:
        _keep(file, landed.values())
    return result


def _load_state(target: _Target, state: dict[str, Any], dry_run: bool) -> None:
    target.given = given_of(state)
    contacts = state.get("contacts", ())
    if dry_run:
        # What earlier chunks would have changed, had they written it.
        target.external_id = state["external_id"]
        target.name = state["name"]
        target.custom_fields = state["custom_fields"]
        target.keys = dict(state["keys"])
        stored = {c.stored: c for c in target.contacts if c.stored is not None}
        for kept in contacts:
            contact = stored.get(kept["id"])
            if contact is None:
                contact = _Contact({}, kept["phone"], kept["email"], name=kept["name"])
                contact.unwritten = True
                target.contacts.append(contact)
            contact.phone_normalized, contact.email = kept["phone"], kept["email"]
            contact.row, contact.given = kept["row"], given_of(kept)
        return
    by_id = {kept["id"]: kept for kept in contacts}
    for contact in target.contacts:
        kept = by_id.get(contact.stored)
        if kept is not None:
            contact.row, contact.given = kept["row"], given_of(kept)


async def _load_file(
    file: FileKeys,
    match_on: list[str],
    targets: dict[int, _Target],
    index: dict[str, dict[str, list[_Target]]],
    by_external_id: dict[str, _Target],
) -> None:
    """What earlier chunks of the file did to the customers the rows may be: what their
    rows gave them (and their contacts), the row that created them; in a dry run, also
    what they would have changed, and the customers they would have created, found by
    the keys they would hold (see `file_keys`)."""
    await file.load(targets)
    for pk, target in targets.items():
        row, state = file.of(pk)
        if state is not None:
            target.row = row
            stored_keys = dict(target.keys)
            _load_state(target, state, file.dry_run)
            if file.dry_run:
                _reindex(target, stored_keys, match_on, index, by_external_id)
    for row, state in file.would_create():
        target = _Target({}, {}, None, listed=True, row=row)
        _load_state(target, state, dry_run=True)
        _reindex(target, {}, match_on, index, by_external_id)


def _reindex(
    target: _Target,
    before: dict[str, str],
    match_on: list[str],
    index: dict[str, dict[str, list[_Target]]],
    by_external_id: dict[str, _Target],
) -> None:
    """A dry run's customer under the keys earlier chunks would have left it, not those
    it had `before` (as stored, or none: one they would have created)."""
    for name in MATCH_FIELDS:
        old, new = before.get(name), target.keys.get(name)
        if old == new:
            continue
        held = index[name].get(old) if old is not None else None
        if held is not None and target in held:
            held.remove(target)
        if new is not None and name in match_on:
            now = index[name].setdefault(new, [])
            if target not in now:
                now.append(target)
    if target.external_id is not None:
        by_external_id.setdefault(target.external_id, target)


def _keep(file: FileKeys, landed: Iterable[_Target]) -> None:
    """What the chunk's rows did to each customer they landed on, for later chunks."""
    for target in landed:
        contacts = [c for c in target.contacts if c.given or c.unwritten]
        state: dict[str, Any] = {"given": first_given(target.given)}
        if file.dry_run:
            state |= {
                "external_id": target.external_id,
                "name": target.values.get("name") or target.name,
                "custom_fields": plain(target.custom_fields),
                "keys": target.keys,
            }
        state["contacts"] = [
            {
                # A dry run's new contacts have no id a later chunk could find.
                "id": contact.stored if file.dry_run else contact.stored or contact.values["id"],
                "row": contact.row,
                "given": first_given(contact.given),
            }
            | (
                {"phone": contact.phone_normalized, "email": contact.email, "name": contact.name}
                if file.dry_run
                else {}
            )
            for contact in contacts
        ]
        written = target.stored or (None if file.dry_run else target.values["id"])
        file.keep(written, target.row, target.keys.items(), state)


# A column → the field a file calls it, in row errors.
_SHOWN = {"phone_normalized": "phone", "external_id": "externalId", "lead_source": "leadSource"}
# Not compared between rows: a phone is compared as its number, whatever its spacing.
_NOT_GIVEN = ("phone", "tags_index")


_NONE: list[_Target] = []  # held by no customer (never appended to)


def _external_id(target: _Target) -> str | None:
    return target.external_id


def _describe(target: _Target) -> str:
    return label("customer", target.name, target.external_id, target.row)


_MATCH_COLUMNS = {
    "externalId": ('"external_id"', "TEXT"),
    "email": ('"email"', "TEXT"),
    "phone": ('"phone_normalized"', "TEXT"),
    # LOWER() of the database: what the API's name search compares, on either database.
    "name": ('LOWER("name")', "TEXT"),
    "id": ('"id"', "BIGINT"),
}


async def _load_matches(
    viewer: Viewer,
    wanted: dict[str, set[Any]],  # match field → values; "id" → ids
    match_on: list[str],
    ids: list[int],
    *,
    lock: bool,
) -> tuple[dict[int, _Target], dict[str, dict[str, list[_Target]]], dict[str, _Target]]:
    """The stored customers the rows may match or collide with, each key with every
    customer holding it (several: ambiguous): one query per field, `lock`ing them (FOR
    UPDATE on PostgreSQL; SQLite has one writer) until the chunk commits; and those of
    `ids` (a dry run's earlier chunks would have given them one of the keys)."""
    wanted = wanted | {"id": set(ids)}
    lookups = {name for name in match_on if wanted[name]}
    if wanted["externalId"]:
        lookups.add("externalId")  # a new external id must not be taken
    if ids:
        lookups.add("id")
    targets: dict[int, _Target] = {}
    index: dict[str, dict[str, list[_Target]]] = {name: {} for name in MATCH_FIELDS}
    db = Customer._meta.db
    for name in (*MATCH_FIELDS, "id"):
        if name not in lookups:
            continue
        expression, sql_type = _MATCH_COLUMNS[name]
        # ORDER BY "id": PostgreSQL locks rows in the order it returns them, so two chunks
        # (two imports at once) that lock the same customers take them in the same order
        # and one waits for the other, never each for the other. That holds per lookup:
        # across two lookups (external id, then e-mail…) two chunks can still each hold
        # what the other's next one wants; PostgreSQL then ends one, whose run is retried
        # at its checkpoint.
        found = await sql.fetch(
            db,
            'SELECT "id", "external_id", "email", "phone_normalized", "name", "custom_fields" '
            f'FROM "customer" WHERE "workspace_id" = {sql.placeholder(db, 1)} '
            f'AND {sql.any_of(db, expression, 2, sql_type)} ORDER BY "id"'
            + sql.for_update(db, lock),
            [viewer.workspace_id, sql.list_parameter(db, sorted(wanted[name]))],
        )
        for pk, external_id, email, phone, customer_name, custom_fields in found:
            target = targets.get(pk)
            if target is None:
                if isinstance(custom_fields, str):
                    custom_fields = json.loads(custom_fields)
                target = targets[pk] = _Target(
                    {}, custom_fields or {}, external_id, stored=pk, name=customer_name
                )
                keys = {
                    "externalId": external_id,
                    "email": email,
                    "phone": phone,
                    "name": (customer_name or "").lower(),
                }
                target.keys = {field: key for field, key in keys.items() if key}
            key = target.keys.get(name)
            if key is not None:
                index[name].setdefault(key, []).append(target)  # oldest first
    # External ids are unique per workspace: one customer each.
    by_external_id = {key: held[0] for key, held in index["externalId"].items()}
    if "externalId" not in match_on:
        index["externalId"] = {}
    return targets, index, by_external_id


async def _load_contacts(targets: dict[int, _Target]) -> None:
    if not targets:
        return
    db = Contact._meta.db
    contacts = await sql.fetch(
        db,
        'SELECT "id", "customer_id", "phone_normalized", "email", "name" FROM "contact" '
        f'WHERE {sql.any_of(db, "customer_id", 1, "BIGINT")} ORDER BY "id"',
        [sql.list_parameter(db, targets)],
    )
    for pk, customer_id, phone_normalized, email, name in contacts:
        targets[customer_id].contacts.append(
            _Contact({}, phone_normalized, email, stored=pk, name=name)
        )


async def _new_contact(
    viewer: Viewer, clean: dict[str, Any], problems: Problems, definitions: Definitions
) -> dict[str, Any]:
    values = dict(clean)
    if "name" not in values:
        values["name"] = ""
        problems.add("contact.name", NEW_CONTACT_NEEDS_NAME, ErrorCode.REQUIRED)
    values["custom_fields"] = await _new_custom_fields(
        problems, viewer, CustomFieldEntity.CONTACT, None, "contact.customFields", definitions
    )
    return values


async def _new_custom_fields(
    problems: Problems,
    viewer: Viewer,
    entity: CustomFieldEntity,
    values: dict[str, Any] | None,
    path: str,
    definitions: Definitions,
) -> dict:
    """A new record's custom fields, as `clean_custom_fields` checks them."""
    if not values and not definitions.of(entity):
        return {}  # nothing given, nothing required: what the full check would find
    return await clean_custom_fields(
        problems, viewer, entity, values, existing=None, path=path, definitions=definitions
    )


async def _creation(viewer: Viewer, row: _Parsed, definitions: Definitions) -> _Creation:
    """The customer (and contact) the row would create, with the problems that would stop it.

    Worked out for every row while the chunk is checked, outside its transaction: only
    whether the row matches a customer, and whether its external id is free, need the
    database.
    """
    problems, contact_problems = Problems(), Problems()
    values = dict(row.clean)
    if "name" not in values:
        problems.add("name", "Must not be blank.", ErrorCode.REQUIRED)
    values.setdefault("kind", CustomerKind.COMPANY)
    if values.get("owner_id") is None:
        values["owner_id"] = viewer.user_id
    values["custom_fields"] = await _new_custom_fields(
        problems, viewer, CustomFieldEntity.CUSTOMER, row.custom, "customFields", definitions
    )
    values["workspace_id"] = viewer.workspace_id
    target = _Target(
        values, values["custom_fields"], values.get("external_id"), name=values.get("name")
    )
    contact = None
    if row.contact:
        contact = await _new_contact(viewer, row.contact, contact_problems, definitions)
        target.contacts.append(
            _Contact(
                contact,
                contact.get("phone_normalized"),
                contact.get("email"),
                name=contact.get("name"),
            )
        )
    return _Creation(target, contact, problems.items, contact_problems.items)


def _plan_create(row: _Parsed, problems: Problems, by_external_id: dict[str, _Target]) -> _Target:
    creation = row.creation
    problems.extend(creation.problems)
    check_external_id(problems, creation.target.external_id, None, by_external_id, "customer")
    problems.extend(creation.contact_problems)
    if creation.contact is not None:
        settle_primary([creation.contact])
    return creation.target


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
        check_external_id(problems, changes["external_id"], target, by_external_id, "customer")
    contact_match: _Contact | None = None
    new_contact: dict[str, Any] | None = None
    if row.contact:
        found = _contact_of(target, row.contact)
        if found.problem is not None:
            problem = found.problem
            problems.add(f"contact.{problem.field}", problem.message, problem.code)
        contact_match = found.record
        if contact_match is not None:
            problems.extend(
                overwrites(
                    contact_match.given, row.contact, {}, "contact", _CONTACT_SHOWN, ("phone",)
                )
            )
        elif found.problem is None:
            new_contact = row.creation.contact
            assert new_contact is not None  # the row names a contact: its creation has one
            problems.extend(row.creation.contact_problems)
            new_contact["is_primary"] = primary_by_default(None, bool(target.contacts))
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
        remember(contact_match.given, row.number, row.contact, {})
    elif new_contact is not None:
        contact = _Contact(
            new_contact,
            new_contact.get("phone_normalized"),
            new_contact.get("email"),
            name=new_contact.get("name"),
            row=row.number,
        )
        remember(contact.given, row.number, row.contact, {})
        target.contacts.append(contact)


# An inline contact's cells → the field a file calls them, in row errors.
_CONTACT_SHOWN = {name: f"contact.{name}" for name in _CONTACT_COLUMNS} | {
    "phone_normalized": "contact.phone"
}


def _contact_of(target: _Target, contact: dict[str, Any]) -> Found[_Contact]:
    """The customer's contact a row's contact cells name, by phone and e-mail, which must
    agree (see `matches.resolve`)."""
    keys = {"phone": contact.get("phone_normalized"), "email": contact.get("email")}

    def holders(name: str, key: Any) -> list[_Contact]:
        if name == "phone":
            return [c for c in target.contacts if c.phone_normalized == key]
        return [c for c in target.contacts if c.email == key]

    return resolve(
        ("phone", "email"),
        keys,
        holders,
        None,
        lambda c: None,
        lambda c: label("contact", c.name, None, c.row),
    )


# ---------------------------------------------------------------- writing


async def _write(
    viewer: Viewer, created: list[_Target], matched: list[_Target], layout: bulk_sql.RowLayout
) -> None:
    db = Customer._meta.db
    now = datetime.now(UTC)
    if created:
        ids = await bulk_sql.allocate_ids(db, Customer, len(created))
        for pk, target in zip(ids, created, strict=True):
            target.values["id"] = pk
    new_contacts: list[dict[str, Any]] = []
    contact_changes: dict[int, dict[str, Any]] = {}
    for target in [*created, *matched]:
        customer_id = target.stored or target.values["id"]
        for contact in target.contacts:
            if contact.unwritten:
                continue
            if contact.stored is None:
                contact.values["workspace_id"] = viewer.workspace_id
                contact.values["customer_id"] = customer_id
                new_contacts.append(contact.values)
            elif contact.values:
                contact_changes[contact.stored] = contact.values
    if new_contacts:
        # Known by id: later chunks of the file find what rows gave each (`file_keys`).
        contact_ids = await bulk_sql.allocate_ids(db, Contact, len(new_contacts))
        for pk, values in zip(contact_ids, new_contacts, strict=True):
            values["id"] = pk
    storing: asyncio.Task[None] | None = None
    if created:
        if any(target.touched for target in created):
            # A later row of the chunk changed one: lay them out as they are now.
            customers = bulk_sql.new_rows(Customer, [target.values for target in created], now)
        else:
            customers = layout.stamped([(t.values["id"], t.record) for t in created], now)
        # The database stores the customers while the contacts are made ready.
        storing = asyncio.create_task(bulk_sql.insert(db, customers))
        await asyncio.sleep(0)  # the rows go out
    try:
        contacts = bulk_sql.new_rows(Contact, new_contacts, now)
    finally:
        if storing is not None:
            await storing
    # A change to a contact is a change to its customer (clients sync by updatedSince).
    customer_changes = {t.stored: t.values for t in matched if t.touched and t.stored}
    await bulk_sql.update_rows(db, Customer, customer_changes, now)
    await bulk_sql.insert(db, contacts)
    await bulk_sql.update_rows(db, Contact, contact_changes, now)
