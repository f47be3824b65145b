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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain import bulk_sql, sql
from domain.custom_fields import Definitions, load_definitions
from domain.customers import (
    NEW_CONTACT_NEEDS_NAME,
    clean_contact_fields,
    clean_customer_fields,
    primary_by_default,
    settle_primary,
)
from domain.errors import ErrorCode, Problem, Problems
from domain.imports.cells import ROW, ChunkResult, check_external_id, put, typed_custom_fields
from domain.imports.engine import (
    Opening,
    RecordChunk,
    Row,
    Spec,
    checked_custom_fields,
    land_rows,
    record_matches,
)
from domain.imports.file_keys import FileKeys, first_given, given_of
from domain.imports.headers import EMAIL, NOTES, PHONE, TITLE, Aliases
from domain.imports.links import Members
from domain.imports.matches import (
    Found,
    Given,
    Keys,
    Matches,
    Record,
    label,
    overwrites,
    remember,
    resolve,
)
from domain.imports.values import parse_kind, split_tags
from domain.viewer import Viewer
from models import Contact, Customer
from models.enums import CustomerKind, CustomFieldEntity, ImportKind, ImportMode

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


@dataclass(eq=False)
class _Customer(Record):
    """A customer rows may match: `values` a stored one's columns rows are matched by and
    its custom fields (a new one's: all its attributes), and the columns rows change."""

    name: str | None = None  # as stored, or as its row gave it: for messages
    contacts: list[_Contact] = field(default_factory=list)
    touched: bool = False  # a row changed it (a stored one, or one an earlier row created)
    record: tuple = ()  # a new one: its values as inserted, laid out while checking


@dataclass(slots=True)
class _Creation:
    """What a row creates if it matches no customer, worked out and checked ahead."""

    target: _Customer  # the new customer, with its first contact
    contact: dict[str, Any] | None  # that contact's attributes (a new contact on update)
    problems: list[Problem]  # found before the external id is checked…
    contact_problems: list[Problem]  # … and after it, in the order the API reports them


@dataclass
class _Parsed(Row):
    contact: dict[str, Any] = field(default_factory=dict)  # contact attributes from the cells
    creation: _Creation = field(init=False)
    # Planned by `update`, taken in by `land`: the stored contact the row changes, or the
    # contact it adds.
    contact_match: _Contact | None = None
    new_contact: dict[str, Any] | None = None


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
        put(problems, clean, "kind", "kind", _kind(present["kind"]))
    members.put(problems, present, "owner", clean, "owner_id")

    custom = typed_custom_fields(problems, present, definitions, CustomFieldEntity.CUSTOMER)

    contact_values = {name: present[cell] for name, cell in _CONTACT_CELLS if cell in present}
    contact = clean_contact_fields(problems, "contact", contact_values)

    return _Parsed(number, problems, clean, custom, _keys(clean), contact=contact)


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
        SPEC.check_match_on(match_on)
        chunk = await _open_checked(self, mode, match_on, file) if self.rows else None
        return await land_rows(chunk, mode, match_on, file)


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


async def _open(opening: Opening) -> _Chunk | None:
    checked = await check_customer_rows(opening.viewer, opening.rows)
    return await _open_checked(checked, opening.mode, opening.match_on, opening.file)


async def _open_checked(
    checked: CheckedCustomerRows, mode: ImportMode, match_on: list[str], file: FileKeys | None
) -> _Chunk:
    ids: list[int] = []  # stored customers a dry run's earlier rows gave a key
    if file is not None:
        ids = await file.find((name, key) for name, keys in checked.wanted.items() for key in keys)
    # Rows that match are changed (but in CREATE mode): locked as they are read, so that an
    # edit committed meanwhile is not overwritten by the custom fields merged into here.
    stored = await _load(checked, match_on, ids, lock=mode != ImportMode.CREATE)
    await _load_contacts(stored)
    matches = await record_matches(
        file,
        Customer,
        stored,
        lambda values: _Customer(values, name=values.get("name")),
        _keys_of,
        "customer",
        lambda customer: customer.name,
        restore=_restore,
    )
    return _Chunk(checked, stored, matches)


def _keys(values: dict[str, Any]) -> dict[str, str]:
    """A row's keys, by match field: those its cells give (a customer's: see `_keys_of`)."""
    keys = {
        "externalId": values.get("external_id"),
        "email": values.get("email"),
        "phone": values.get("phone_normalized"),
        "name": (values.get("name") or "").lower(),
    }
    return {name: key for name, key in keys.items() if key}


def _keys_of(customer: _Customer) -> Keys:
    """A customer's keys but its external id (which `Matches` holds apart)."""
    return {name: key for name, key in _keys(customer.values).items() if name != "externalId"}


class _Chunk(RecordChunk[_Customer]):
    def __init__(
        self, checked: CheckedCustomerRows, stored: dict[int, _Customer], matches: Matches
    ) -> None:
        super().__init__(SPEC, list(checked.rows))
        self.checked, self.stored, self.matches = checked, stored, matches
        self.viewer, self.definitions = checked.viewer, checked.definitions

    async def create(self, row: Row, problems: Problems) -> tuple[_Customer, dict[str, Any]]:
        assert isinstance(row, _Parsed)
        creation = row.creation
        external_id = creation.target.values.get("external_id")
        problems.extend(creation.problems)
        check_external_id(problems, external_id, None, self.matches.by_external_id, "customer")
        problems.extend(creation.contact_problems)
        if creation.contact is not None:
            settle_primary([creation.contact])
        return creation.target, creation.target.values

    async def update(self, row: Row, target: _Customer, problems: Problems) -> dict[str, Any]:
        """The row's changes to `target`, checked; and the contact it changes or adds (for
        `land` to take in when all is well)."""
        assert isinstance(row, _Parsed)
        changes = dict(row.values)
        if row.custom:
            changes["custom_fields"] = await self.custom_fields(row, problems, target)
        if changes.get("external_id") not in (None, target.values.get("external_id")):
            check_external_id(
                problems, changes["external_id"], target, self.matches.by_external_id, "customer"
            )
        row.contact_match, row.new_contact = None, None
        if row.contact:
            found = _contact_of(target, row.contact)
            if found.problem is not None:
                problem = found.problem
                problems.add(f"contact.{problem.field}", problem.message, problem.code)
            row.contact_match = found.record
            if found.record is not None:
                problems.extend(
                    overwrites(
                        found.record.given, row.contact, {}, "contact", _CONTACT_SHOWN, ("phone",)
                    )
                )
            elif found.problem is None:
                new_contact = row.creation.contact
                assert new_contact is not None  # the row names a contact: its creation has one
                problems.extend(row.creation.contact_problems)
                new_contact["is_primary"] = primary_by_default(None, bool(target.contacts))
                row.new_contact = new_contact
        return changes

    def check(
        self, row: Row, target: _Customer, changes: dict[str, Any], problems: Problems
    ) -> None:
        """The external id is checked by `create` and `update`, in the order the API
        reports problems."""

    def land(self, row: Row, target: _Customer, changes: dict[str, Any]) -> bool:
        assert isinstance(row, _Parsed)
        is_new = super().land(row, target, changes)
        if is_new:
            for contact in target.contacts:  # its first, from this row's cells
                contact.row = row.number
                remember(contact.given, row.number, row.contact, {})
            return True
        target.touched = True
        contact_match = row.contact_match
        if contact_match is not None:
            contact_match.values.update(row.contact)
            contact_match.phone_normalized = (
                row.contact.get("phone_normalized") or contact_match.phone_normalized
            )
            contact_match.email = row.contact.get("email") or contact_match.email
            remember(contact_match.given, row.number, row.contact, {})
        elif row.new_contact is not None:
            new_contact = row.new_contact
            contact = _Contact(
                new_contact,
                new_contact.get("phone_normalized"),
                new_contact.get("email"),
                name=new_contact.get("name"),
                row=row.number,
            )
            remember(contact.given, row.number, row.contact, {})
            target.contacts.append(contact)
        return False

    async def write(self) -> None:
        checked = self.checked
        created = self.matches.created
        await _write(checked.viewer, created, list(self.stored.values()), checked.layout)

    def state_of(self, record: _Customer, dry_run: bool) -> dict[str, Any]:
        """What rows gave the customer's contacts, and the row that created each; in a dry
        run also their keys (see `_restore`)."""
        contacts = [c for c in record.contacts if c.given or c.unwritten]
        return {
            "contacts": [
                {
                    # A dry run's new contacts have no id a later chunk could find.
                    "id": contact.stored if dry_run else contact.stored or contact.values["id"],
                    "row": contact.row,
                    "given": first_given(contact.given),
                }
                | (
                    {
                        "phone": contact.phone_normalized,
                        "email": contact.email,
                        "name": contact.name,
                    }
                    if dry_run
                    else {}
                )
                for contact in contacts
            ]
        }


async def _load(
    checked: CheckedCustomerRows, match_on: list[str], ids: list[int], *, lock: bool
) -> dict[int, _Customer]:
    """The stored customers the rows may match or collide with, each key with every
    customer holding it: one query per field, `lock`ing them (FOR UPDATE on PostgreSQL;
    SQLite has one writer) until the chunk commits; and those of `ids` (a dry run's
    earlier chunks would have given them one of the keys). By id: oldest first."""
    wanted: dict[str, set[Any]] = {**checked.wanted, "id": set(ids)}
    lookups = {name for name in match_on if wanted[name]}
    if wanted["externalId"]:
        lookups.add("externalId")  # a new external id must not be taken
    if ids:
        lookups.add("id")
    stored: dict[int, _Customer] = {}
    db = Customer._meta.db
    for name in (*MATCH_FIELDS, "id"):
        if name not in lookups:
            continue
        expression, sql_type = _MATCH_COLUMNS[name]
        # ORDER BY "id": PostgreSQL locks rows in the order it returns them, so two
        # chunks (two imports at once) that lock the same customers take them in the
        # same order and one waits for the other, never each for the other. That holds
        # per lookup: across two lookups (external id, then e-mail…) two chunks can
        # still each hold what the other's next one wants; PostgreSQL then ends one,
        # whose run is retried at its checkpoint.
        found = await sql.fetch(
            db,
            'SELECT "id", "external_id", "email", "phone_normalized", "name", '
            f'"custom_fields" FROM "customer" WHERE "workspace_id" = {sql.placeholder(db, 1)} '
            f'AND {sql.any_of(db, expression, 2, sql_type)} ORDER BY "id"'
            + sql.for_update(db, lock),
            [checked.viewer.workspace_id, sql.list_parameter(db, sorted(wanted[name]))],
        )
        for pk, external_id, email, phone, customer_name, custom_fields in found:
            if pk not in stored:
                if isinstance(custom_fields, str):
                    custom_fields = json.loads(custom_fields)
                values = {
                    "external_id": external_id,
                    "email": email,
                    "phone_normalized": phone,
                    "name": customer_name,
                    "custom_fields": custom_fields or {},
                }
                stored[pk] = _Customer(values, stored=pk, name=customer_name)
    return dict(sorted(stored.items()))


def _restore(customer: _Customer, state: dict[str, Any], dry_run: bool) -> None:
    """What earlier chunks of the file did to the customer's contacts (see `state_of`); in
    a dry run, also the contacts they would have created."""
    contacts = state.get("contacts", ())
    if dry_run:
        # What earlier chunks would have changed, had they written it.
        customer.name = customer.values.get("name") or customer.name
        stored = {c.stored: c for c in customer.contacts if c.stored is not None}
        for kept in contacts:
            contact = stored.get(kept["id"])
            if contact is None:
                contact = _Contact({}, kept["phone"], kept["email"], name=kept["name"])
                contact.unwritten = True
                customer.contacts.append(contact)
            contact.phone_normalized, contact.email = kept["phone"], kept["email"]
            contact.row, contact.given = kept["row"], given_of(kept)
        return
    by_id = {kept["id"]: kept for kept in contacts}
    for contact in customer.contacts:
        kept = by_id.get(contact.stored)
        if kept is not None:
            contact.row, contact.given = kept["row"], given_of(kept)


_MATCH_COLUMNS = {
    "externalId": ('"external_id"', "TEXT"),
    "email": ('"email"', "TEXT"),
    "phone": ('"phone_normalized"', "TEXT"),
    # LOWER() of the database: what the API's name search compares, on either database.
    "name": ('LOWER("name")', "TEXT"),
    "id": ('"id"', "BIGINT"),
}


async def _load_contacts(targets: dict[int, _Customer]) -> None:
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
    values["custom_fields"] = await checked_custom_fields(
        viewer, problems, CustomFieldEntity.CONTACT, definitions, None, None, "contact.customFields"
    )
    return values


async def _creation(viewer: Viewer, row: _Parsed, definitions: Definitions) -> _Creation:
    """The customer (and contact) the row would create, with the problems that would stop it.

    Worked out for every row while the chunk is checked, outside its transaction: only
    whether the row matches a customer, and whether its external id is free, need the
    database.
    """
    problems, contact_problems = Problems(), Problems()
    values = dict(row.values)
    if "name" not in values:
        problems.add("name", "Must not be blank.", ErrorCode.REQUIRED)
    values.setdefault("kind", CustomerKind.COMPANY)
    if values.get("owner_id") is None:
        values["owner_id"] = viewer.user_id
    values["custom_fields"] = await checked_custom_fields(
        viewer, problems, CustomFieldEntity.CUSTOMER, definitions, row.custom, None
    )
    values["workspace_id"] = viewer.workspace_id
    target = _Customer(values, name=values.get("name"))
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


# An inline contact's cells → the field a file calls them, in row errors.
_CONTACT_SHOWN = {name: f"contact.{name}" for name in _CONTACT_COLUMNS} | {
    "phone_normalized": "contact.phone"
}


def _contact_of(target: _Customer, contact: dict[str, Any]) -> Found[_Contact]:
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
    viewer: Viewer, created: list[_Customer], matched: list[_Customer], layout: bulk_sql.RowLayout
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
    customer_changes = {
        t.stored: {column: t.values[column] for column in t.changed}
        for t in matched
        if t.touched and t.stored
    }
    await bulk_sql.update_rows(db, Customer, customer_changes, now)
    await bulk_sql.insert(db, contacts)
    await bulk_sql.update_rows(db, Contact, contact_changes, now)


# Each field → the headers it is recognised by, beside its own name (see `headers`).
_FIELDS: Aliases = {
    "name": (
        "客户名称",
        "公司名称",
        "企业名称",
        "单位名称",
        "客户全称",
        "名称",
        "客户",
        "公司",
        "name",
        "company",
        "company name",
        "customer",
        "customer name",
        "account name",
        "organization",
        "organization name",
        "organisation name",
    ),
    "kind": ("类型", "客户性质", "type", "kind", "customer type"),
    "phone": (*PHONE, "座机", "公司电话", "organization phone"),
    "email": (*EMAIL, "邮件"),
    "website": (
        "网址",
        "网站",
        "官网",
        "公司网址",
        "website",
        "website url",
        "url",
        "domain",
        "company domain name",
    ),
    "industry": ("行业", "所属行业", "industry"),
    "leadSource": (
        "线索来源",
        "客户来源",
        "来源",
        "lead source",
        "source",
        "original source",
        "organization source",
    ),
    "tags": ("标签", "tags", "labels", "organization labels"),
    "externalId": (
        "外部编号",
        "客户编号",
        "客户代码",
        "客户id",
        "编号",
        "external id",
        "id",
        "record id",
        "company id",
        "account id",
        "account number",
        "organization id",
        "customer id",
    ),
    "owner": (
        "负责人",
        "客户负责人",
        "销售负责人",
        "owner",
        "contact owner",
        "company owner",
        "account owner",
        "organization owner",
    ),
    "notes": NOTES,
    "contact.name": (
        "联系人",
        "联系人姓名",
        "contact",
        "contact name",
        "contact person",
        "person name",
    ),
    "contact.phone": (
        "联系人电话",
        "联系人手机",
        "contact phone",
        "contact mobile",
        "person phone",
    ),
    "contact.email": ("联系人邮箱", "contact email", "person email"),
    "contact.title": (*TITLE, "contact title", "person job title"),
}


SPEC = Spec(
    kind=ImportKind.CUSTOMERS,
    record="customer",
    a_record="a customer",
    fields=_FIELDS,
    match_fields=("externalId", "email", "phone", "name"),
    default_match_on=("externalId", "email", "phone"),
    entity=CustomFieldEntity.CUSTOMER,
    open=_open,
    growing=("customer", "contact"),
    new_record_needs=(("name",),),
    shown={"phone_normalized": "phone", "external_id": "externalId", "lead_source": "leadSource"},
    # Not compared between rows: a phone is compared as its number, whatever its spacing.
    not_compared=("phone", "tags_index"),
    check=check_customer_rows,
)
MATCH_FIELDS = SPEC.match_fields
apply_customer_rows = SPEC.apply
