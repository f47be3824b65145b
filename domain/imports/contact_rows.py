"""Contact imports: each row a contact of an existing customer, created or updated.

Rows name their customer (`customer.externalId`, `customer.phone` or `customer.name`)
and are matched against that customer's contacts only, on the `matchOn` fields (e-mail,
phone, name), and against the contacts earlier rows of the chunk created, by the rule of
`matches.resolve` (keys that disagree or that several contacts share fail the row), and
never overwrite what an earlier row of the file gave (`matches.overwrites`). Values are
checked by the API's rules (`clean_contact_fields`, `clean_custom_fields`); a customer
keeps exactly the primary contact the API would give it. The chunk costs a constant
number of statements: definitions, one lookup per link column, the linked customers'
contacts, what earlier chunks of the file did to them (`file_keys`), one id allocation,
one INSERT, one UPDATE of contacts and one of their customers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.bulk_sql import allocate_ids, insert_rows, update_rows
from domain.custom_fields import Definitions, load_definitions
from domain.customers import (
    NEW_CONTACT_NEEDS_NAME,
    clean_contact_fields,
    primary_by_default,
)
from domain.errors import ErrorCode, Problems
from domain.imports.cells import ROW, Cells, given, typed_custom_fields
from domain.imports.engine import KindChunk, NumberedCells, Row, Spec, checked_custom_fields
from domain.imports.file_keys import FileKeys, first_given, given_of, plain
from domain.imports.headers import CUSTOMER_LINK, EMAIL, NOTES, PHONE, TITLE, Aliases
from domain.imports.links import CustomerLinks
from domain.imports.matches import Found, Given, label, remember, resolve
from domain.imports.values import parse_yes_no
from domain.sql import any_of, fetch, for_update, list_parameter, placeholder
from domain.viewer import Viewer
from models import Contact, Customer
from models.enums import CustomFieldEntity, ImportKind, ImportMode

# Canonical import field → argument of `clean_contact_fields`.
_COLUMNS = {"name": "name", "phone": "phone", "email": "email", "title": "title", "notes": "notes"}


@dataclass(eq=False)
class _Contact:
    """A contact of a linked customer: stored (`stored`) or created by an earlier row."""

    values: dict[str, Any]  # every attribute when new; the changes when stored
    keys: dict[str, str]  # match field → the value compared
    is_primary: bool
    custom_fields: dict
    stored: int | None = None
    name: str | None = None  # for messages
    row: int | None = None  # a new one: the row that created it
    given: Given = field(default_factory=list)  # what rows of the file gave it
    customer_id: int | None = None  # of one the rows landed on


def _match_keys(name: str | None, email: str | None, phone_normalized: str | None) -> dict:
    keys = {"email": email, "phone": phone_normalized, "name": name.lower() if name else None}
    return {field: key for field, key in keys.items() if key}


def _parse(number: int, cells: Cells, definitions: Definitions, links: CustomerLinks) -> Row:
    problems = Problems()
    customer = links.find(problems, cells)
    present = given(cells)
    values = {column: present[name] for name, column in _COLUMNS.items() if name in present}
    clean = clean_contact_fields(problems, ROW, values)
    primary, message = parse_yes_no(present.get("isPrimary"))
    if message:
        problems.add("isPrimary", message)
    elif primary is not None:
        clean["is_primary"] = primary
    custom = typed_custom_fields(problems, present, definitions, CustomFieldEntity.CONTACT)
    keys = _match_keys(clean.get("name"), clean.get("email"), clean.get("phone_normalized"))
    return Row(number, problems, clean, custom, keys, present, customer)


@dataclass
class _Book:
    """The contacts of the chunk's customers, stored and new, in the order they came."""

    by_customer: dict[int, list[_Contact]] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)  # customers whose contacts changed

    def match(self, customer_id: int, keys: dict[str, str], match_on: list[str]) -> Found[_Contact]:
        """The contact of the customer the row's keys name (see `matches.resolve`)."""
        contacts = self.by_customer.get(customer_id, [])
        return resolve(
            match_on,
            keys,
            lambda name, key: [c for c in contacts if c.keys.get(name) == key],
            None,
            lambda contact: None,
            lambda contact: label("contact", contact.name, None, contact.row),
        )

    def make_only_primary(self, customer_id: int, primary: _Contact) -> None:
        for contact in self.by_customer.get(customer_id, []):
            if contact is not primary and contact.is_primary:
                contact.is_primary = False
                contact.values["is_primary"] = False


async def _load_book(viewer: Viewer, parsed: list[Row], *, lock: bool) -> _Book:
    """The stored contacts of the rows' customers; `lock`: held (FOR UPDATE on PostgreSQL;
    SQLite has one writer) until the chunk commits, as the rows may change them, so that an
    edit committed meanwhile is not overwritten by the custom fields merged into here."""
    book = _Book()
    customer_ids = sorted({row.customer.id for row in parsed if row.customer is not None})
    if not customer_ids:
        return book
    db = Contact._meta.db
    # One statement, ORDER BY "id": PostgreSQL locks rows in the order it returns them, so
    # two chunks (two imports at once) that lock the same contacts take them in the same
    # order and one waits for the other, never each for the other (a deadlock).
    stored = await fetch(
        db,
        'SELECT "id", "customer_id", "name", "email", "phone_normalized", "is_primary", '
        f'"custom_fields" FROM "contact" WHERE "workspace_id" = {placeholder(db, 1)} '
        f'AND {any_of(db, "customer_id", 2, "BIGINT")} ORDER BY "id"' + for_update(db, lock),
        [viewer.workspace_id, list_parameter(db, customer_ids)],
    )
    for pk, customer_id, name, email, phone_normalized, is_primary, custom_fields in stored:
        if isinstance(custom_fields, str):
            custom_fields = json.loads(custom_fields)
        book.by_customer.setdefault(customer_id, []).append(
            _Contact(
                {},
                _match_keys(name, email, phone_normalized),
                bool(is_primary),
                custom_fields or {},
                stored=pk,
                name=name,
            )
        )
    return book


async def _open(
    viewer: Viewer,
    rows: NumberedCells,
    *,
    mode: ImportMode,
    match_on: list[str],
    file: FileKeys | None,
) -> _Chunk:
    definitions = await load_definitions(viewer)
    links = await CustomerLinks.load(viewer, [cells for _, cells in rows])
    parsed = [_parse(number, cells, definitions, links) for number, cells in rows]
    book = await _load_book(viewer, parsed, lock=mode != ImportMode.CREATE)
    if file is not None:
        customer_ids = {row.customer.id for row in parsed if row.customer is not None}
        await _load_file(file, book, customer_ids)
    return _Chunk(parsed, viewer, definitions, book)


class _Chunk(KindChunk[_Contact]):
    def __init__(
        self, rows: list[Row], viewer: Viewer, definitions: Definitions, book: _Book
    ) -> None:
        super().__init__(SPEC, rows)
        self.viewer, self.definitions, self.book = viewer, definitions, book
        self.created: list[_Contact] = []
        self.landed: dict[int, _Contact] = {}  # by id(): what the chunk leaves for later ones

    def find(self, row: Row, match_on: list[str]) -> Found[_Contact]:
        assert row.customer is not None
        return self.book.match(row.customer.id, row.keys, match_on)

    async def create(self, row: Row, problems: Problems) -> tuple[_Contact, dict[str, Any]]:
        assert row.customer is not None
        values = dict(row.values)
        if "name" not in values:
            problems.add("name", NEW_CONTACT_NEEDS_NAME, ErrorCode.REQUIRED)
        has_contacts = bool(self.book.by_customer.get(row.customer.id))
        values["is_primary"] = primary_by_default(values.get("is_primary"), has_contacts)
        values["custom_fields"] = await checked_custom_fields(
            self.viewer, problems, CustomFieldEntity.CONTACT, self.definitions, row.custom, None
        )
        primary, custom = values["is_primary"], values["custom_fields"]
        return _Contact(values, dict(row.keys), primary, custom, name=values.get("name")), values

    async def update(self, row: Row, target: _Contact, problems: Problems) -> dict[str, Any]:
        changes = dict(row.values)
        if row.custom:
            changes["custom_fields"] = await checked_custom_fields(
                self.viewer,
                problems,
                CustomFieldEntity.CONTACT,
                self.definitions,
                row.custom,
                target.custom_fields,
            )
        return changes

    def land(self, row: Row, target: _Contact, changes: dict[str, Any]) -> bool:
        assert row.customer is not None
        customer_id = row.customer.id
        is_new = target.stored is None and target.row is None
        if is_new:
            target.values["customer_id"] = customer_id
            target.row = row.number
            self.book.by_customer.setdefault(customer_id, []).append(target)
            self.created.append(target)
        else:
            target.values.update(changes)
            target.keys.update(row.keys)
            target.custom_fields = changes.get("custom_fields", target.custom_fields)
            target.is_primary = changes.get("is_primary", target.is_primary)
        remember(target.given, row.number, row.values, row.custom)
        target.customer_id = customer_id
        self.landed[id(target)] = target
        if target.is_primary:
            self.book.make_only_primary(customer_id, target)
        self.book.touched.add(customer_id)
        return is_new

    async def write(self) -> None:
        db = Contact._meta.db
        now = datetime.now(UTC)
        created, book = self.created, self.book
        # Known by id: later chunks of the file find what rows gave each (`file_keys`).
        ids = await allocate_ids(db, Contact, len(created)) if created else []
        for pk, contact in zip(ids, created, strict=True):
            contact.values["id"] = pk
            contact.values["workspace_id"] = self.viewer.workspace_id
        changes = {
            contact.stored: contact.values
            for contacts in book.by_customer.values()
            for contact in contacts
            if contact.stored is not None and contact.values
        }
        await insert_rows(db, Contact, [contact.values for contact in created], now)
        await update_rows(db, Contact, changes, now)
        # A change to a contact is a change to its customer (clients sync by updatedSince).
        await update_rows(db, Customer, {pk: {} for pk in sorted(book.touched)}, now)

    def keep(self, file: FileKeys) -> None:
        """What the chunk's rows did to each contact they landed on, for later chunks."""
        for contact in self.landed.values():
            state: dict[str, Any] = {"given": first_given(contact.given)}
            if file.dry_run:
                state |= {
                    "keys": contact.keys,
                    "is_primary": contact.is_primary,
                    "custom_fields": plain(contact.custom_fields),
                    "name": contact.name,
                    "customer_id": contact.customer_id,
                }
            written = contact.stored or (None if file.dry_run else contact.values["id"])
            file.keep(written, contact.row, [("customer", contact.customer_id)], state)


async def _load_file(file: FileKeys, book: _Book, customer_ids: set[int]) -> None:
    """What earlier chunks of the file did to the chunk's customers' contacts: what their
    rows gave them, the row that created them; in a dry run, also the contacts they would
    have created (found by their customer, as the stored ones are)."""
    stored = {c.stored: c for cs in book.by_customer.values() for c in cs if c.stored}
    await file.find(("customer", customer_id) for customer_id in sorted(customer_ids))
    await file.load(stored)
    for pk, contact in stored.items():
        row, state = file.of(pk)
        if state is not None:
            contact.row, contact.given = row, given_of(state)
            if file.dry_run:
                _changed(contact, state)
    for row, state in file.would_create():
        contact = _Contact({}, {}, False, {}, row=row, given=given_of(state))
        _changed(contact, state)
        book.by_customer.setdefault(state["customer_id"], []).append(contact)


def _changed(contact: _Contact, state: dict[str, Any]) -> None:
    """What earlier chunks of a dry run would have made of the contact."""
    contact.keys = dict(state["keys"])
    contact.is_primary = state["is_primary"]
    contact.custom_fields = state["custom_fields"]
    contact.name = state["name"]


# Each field → the headers it is recognised by, beside its own name (see `headers`).
_FIELDS: Aliases = {
    "name": (
        "姓名",
        "联系人",
        "联系人姓名",
        "name",
        "contact",
        "contact name",
        "full name",
        "person name",
    ),
    "phone": (*PHONE, "联系人电话", "联系人手机", "person phone"),
    "email": (*EMAIL, "联系人邮箱", "person email"),
    "title": (*TITLE, "position", "person job title"),
    "isPrimary": ("主联系人", "是否主联系人", "primary", "is primary", "primary contact"),
    "notes": NOTES,
    **CUSTOMER_LINK,
}


SPEC = Spec(
    kind=ImportKind.CONTACTS,
    record="contact",
    a_record="a contact",
    fields=_FIELDS,
    # A contact is matched within its customer.
    match_fields=("email", "phone", "name"),
    default_match_on=("email", "phone"),
    entity=CustomFieldEntity.CONTACT,
    open=_open,
    growing=("contact",),
    new_record_needs=(("name",),),
    linked=True,
    shown={"phone_normalized": "phone", "is_primary": "isPrimary"},
    # A phone is compared as its number, whatever its spacing.
    not_compared=("phone",),
)
apply_contact_rows = SPEC.apply
