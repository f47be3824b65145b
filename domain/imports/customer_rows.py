"""Customer imports, second layer: one chunk of mapped rows in, customers created or updated.

`apply_customer_rows` runs inside the caller's transaction (one per chunk). Each row is
checked with the API's rules (`clean_customer_fields`, `clean_contact_fields`,
`clean_custom_fields`); a row with a problem writes nothing and is reported, the others
land. The work costs a constant number of SQL statements per chunk, whatever its size:
the definitions, the members (when an owner column is mapped), one lookup per match
field, the contacts of the matched customers, one id allocation per table, one
multi-row INSERT (COPY on PostgreSQL) per table and one multi-row UPDATE per table, one
INSERT of the history of both; and,
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
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain import bulk_sql
from domain.custom_fields import Definitions, load_definitions
from domain.customers import (
    NEW_CONTACT_NEEDS_NAME,
    api_name,
    clean_contact_fields,
    clean_customer_fields,
    primary_by_default,
    settle_primary,
)
from domain.errors import ErrorCode, Problem, Problems
from domain.history import TRACKED, VIA_API, Through
from domain.imports.cells import ROW, ChunkResult, check_external_id, put, typed_custom_fields
from domain.imports.engine import (
    NumberedCells,
    RecordChunk,
    Row,
    Spec,
    checked_custom_fields,
    give_ids,
    history_of,
    land_rows,
    record_matches,
    stored_values,
)
from domain.imports.file_keys import FileKeys, first_given
from domain.imports.headers import CUSTOMER_ID, EMAIL, NOTES, PHONE, TITLE, Aliases
from domain.imports.links import Members
from domain.imports.matches import Keys, Matches, Record, overwrites
from domain.imports.values import parse_kind, split_tags
from domain.viewer import Viewer
from models import Contact, Customer
from models.enums import ChangedEntity, CustomerKind, CustomFieldEntity, ImportKind, ImportMode

# Canonical import field (as the API names it) → argument of `clean_customer_fields`.
_CUSTOMER_COLUMNS = {
    api_name(column): column
    for column in ("name", "phone", "email", "website", "industry", "lead_source", "external_id")
}
_CONTACT_CELLS = tuple((name, f"contact.{name}") for name in ("name", "phone", "email", "title"))
# An inline contact's cells → the field a file calls them, in row errors.
_CONTACT_SHOWN = dict(_CONTACT_CELLS) | {"phone_normalized": "contact.phone"}


def match_keys(values: Mapping[str, Any]) -> dict[str, Hashable]:
    """The keys of a customer, of a contact (within its customer) or of a row, by match
    field: those its values give but the external id (which `Matches` holds apart)."""
    keys: dict[str, Hashable] = {}
    if email := values.get("email"):
        keys["email"] = email
    if phone := values.get("phone_normalized"):
        keys["phone"] = phone
    if name := values.get("name"):
        keys["name"] = name.lower()  # as the lookup compares it (see `_MATCH_COLUMNS`)
    return keys


def _keys_of(record: Record) -> Keys:
    return match_keys(record.values)


@dataclass(eq=False, slots=True)
class _Contact(Record):
    """A contact of a customer touched by the chunk: `values` a stored one's keys (a new
    one's: all its attributes), and the columns rows change."""

    name: str | None = None  # as stored, or as its row gave it: for messages


@dataclass(eq=False, slots=True)
class _Customer(Record):
    """A customer rows may match: `values` a stored one's columns rows are matched by and
    its custom fields (a new one's: all its attributes), and the columns rows change."""

    name: str | None = None  # as stored, or as its row gave it: for messages
    contacts: list[_Contact] = field(default_factory=list)  # stored ones by id, then new ones
    touched: bool = False  # a row changed it (a stored one, or one an earlier row created)
    record: tuple = ()  # a new one: its values as inserted, laid out while checking
    # Its contacts by key, made when a row first updates it (most rows create theirs).
    by_contact_keys: Matches[_Contact] | None = None

    def contact_matches(self) -> Matches[_Contact]:
        if self.by_contact_keys is None:
            self.by_contact_keys = Matches(
                _keys_of, self.contacts, what="contact", name_of=_name_of, moves_keys=True
            )
        return self.by_contact_keys

    def state(self, dry_run: bool) -> dict[str, Any]:
        """What rows gave the customer's contacts, and the row that created each; in a dry
        run also their keys and the name they are shown by (see `restore`)."""
        return {
            "contacts": [
                {
                    # A dry run's new contacts have no id a later chunk could find.
                    "id": contact.stored if dry_run else contact.stored or contact.values["id"],
                    "row": contact.row,
                    "given": first_given(contact.given),
                }
                | (match_keys(contact.values) | {"name": contact.name} if dry_run else {})
                for contact in self.contacts
                if contact.given or contact.unwritten
            ]
        }

    def restore(self, state: dict[str, Any], dry_run: bool) -> None:
        """What earlier chunks of the file did to the customer's contacts (see `state`); in
        a dry run, also what they would have changed, and the contacts they would have created."""
        if dry_run:
            self.name = self.values.get("name") or self.name
        stored = {c.stored: c for c in self.contacts if c.stored is not None}
        for kept in state.get("contacts", ()):
            contact = stored.get(kept["id"])
            if dry_run:
                if contact is None:
                    contact = _Contact({}, listed=True, unwritten=True, name=kept["name"])
                    self.contacts.append(contact)
                contact.values.update(phone_normalized=kept.get("phone"), email=kept.get("email"))
            if contact is not None:
                contact.row, contact.given = kept["row"], kept["given"]


def _name_of(record: _Contact | _Customer) -> str | None:
    return record.name


@dataclass
class _Parsed(Row):
    contact: dict[str, Any] = field(default_factory=dict)  # contact attributes from the cells
    # What the row creates if it matches no customer, worked out and checked ahead
    # (`_plan_new`): the customer, with its first contact (a new contact on update); the
    # problems found before its external id is checked, and after it, in the order the
    # API reports them.
    new: _Customer = field(init=False)
    new_problems: list[Problem] = field(init=False)
    new_contact_problems: list[Problem] = field(init=False)
    # Planned by `update`, taken in by `land`: the contact the row changes or adds.
    contact_target: _Contact | None = None


# ---------------------------------------------------------------- reading one row


# A file's kinds and tag lists repeat from row to row: each distinct cell is read once.
_kind = functools.lru_cache(maxsize=1024)(parse_kind)


@functools.lru_cache(maxsize=1024)
def _tags(text: str | None) -> tuple[str, ...]:
    return tuple(split_tags(text))


def _parse(
    number: int, cells: dict[str, str | None], definitions: Definitions, members: Members
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

    return _Parsed(number, problems, clean, custom, match_keys(clean), contact=contact)


# ---------------------------------------------------------------- the chunk


# Checking a chunk hands the event loop back this often (rows), so that a chunk being
# committed meanwhile never waits long to send its next statement.
_ROWS_BETWEEN_YIELDS = 16


async def check_customer_rows(viewer: Viewer, rows: NumberedCells) -> CheckedCustomerRows:
    """Checks each row's cells with the API's rules (two statements at most: the custom
    field definitions, and the members when an owner column is mapped)."""
    layout = bulk_sql.RowLayout(Customer)
    if not rows:
        return CheckedCustomerRows(viewer, Definitions({}), layout)
    definitions = await load_definitions(viewer)
    members = await Members.load(viewer, [cells for _, cells in rows], "owner")
    checked = CheckedCustomerRows(viewer, definitions, layout)
    # A new contact has no custom field cells: their check finds the same for every row.
    problems = Problems()
    custom = await checked_custom_fields(
        viewer, problems, CustomFieldEntity.CONTACT, definitions, None, None, "contact.customFields"
    )
    checked.contact_custom = custom, problems.items
    custom_defined = bool(definitions.of(CustomFieldEntity.CUSTOMER))
    for start in range(0, len(rows), _ROWS_BETWEEN_YIELDS):
        batch = [
            _parse(number, cells, definitions, members)
            for number, cells in rows[start : start + _ROWS_BETWEEN_YIELDS]
        ]
        for row in batch:
            checked._plan_new(row)
            if row.custom or custom_defined:  # else nothing to check, and nothing found
                problems = Problems()
                row.new.values["custom_fields"] = await checked.custom_fields(row, problems)
                row.new_problems += problems.items
            if external_id := row.values.get("external_id"):
                checked.wanted["externalId"].add(external_id)
            for name, key in row.keys.items():
                checked.wanted[name].add(key)
        news = [row.new for row in batch]
        for new, record in zip(news, layout.records([new.values for new in news]), strict=True):
            new.record = record
        checked.rows += batch
        await asyncio.sleep(0)  # a chunk being committed meanwhile sends its next statement
    return checked


class CheckedCustomerRows(RecordChunk[_Customer]):
    """A chunk's rows, every cell checked, before anything is looked up or written.

    Checking needs no transaction: the runner checks the next chunk while the database
    still writes the previous one (see `domain.imports.runner`); `apply` then matches
    and writes the rows in the chunk's transaction.
    """

    def __init__(self, viewer: Viewer, definitions: Definitions, layout: bulk_sql.RowLayout):
        super().__init__(SPEC, [])
        self.viewer, self.definitions = viewer, definitions
        self.layout = layout  # of the customers the rows may create
        self.wanted: dict[str, set[Hashable]] = {name: set() for name in SPEC.match_fields}
        self.stored: dict[int, _Customer] = {}
        # A new contact's custom fields, and the problems their check found.
        self.contact_custom: tuple[dict[str, Any], list[Problem]] = ({}, [])

    async def apply(
        self,
        *,
        mode: ImportMode,
        match_on: list[str],
        file: FileKeys | None = None,
        through: Through = VIA_API,
    ) -> ChunkResult:
        """Creates, updates or skips each row's customer; call inside a transaction.
        `file`: what earlier chunks of the file did (see `file_keys`); `through`: the
        import job, which the chunk's history names."""
        SPEC.check_match_on(match_on)
        if not self.rows:
            return ChunkResult()
        # Rows that match are changed (but in CREATE mode): see `Opening.lock`.
        await self.match(match_on, file, lock=mode != ImportMode.CREATE)
        return await land_rows(self, mode, match_on, file, through)

    async def match(self, match_on: list[str], file: FileKeys | None, *, lock: bool) -> None:
        """Loads the stored customers the rows may match or collide with, each key with
        every customer holding it (one query per field), `lock`ed until the chunk commits,
        with their contacts; and those a dry run's earlier chunks would have given one of
        the keys. By id: oldest first. Then what earlier chunks of the file did to them."""
        if "name" not in match_on:  # a key no row is matched by: not held for new customers
            for row in self.rows:
                row.keys.pop("name", None)
        ids: list[int] = []  # stored customers a dry run's earlier rows gave a key
        if file is not None:
            ids = await file.find((name, key) for name, keys in self.wanted.items() for key in keys)
        wanted: dict[str, Collection[Any]] = {**self.wanted, "id": ids}
        workspace_id = self.viewer.workspace_id
        found: dict[int, dict[str, Any]] = {}
        for name, (expression, sql_type) in _MATCH_COLUMNS.items():
            # Every external id given, whatever `match_on`: a new one must not be taken.
            if name not in (*match_on, "externalId", "id"):
                continue
            # One statement per field, each served by its index (ORed in one statement, they
            # have PostgreSQL scan the whole workspace), each in id order (see `stored_values`).
            # Two chunks can then still each hold what the other's next lookup wants;
            # PostgreSQL ends one, whose run is retried at its checkpoint.
            among = {expression: (sql_type, wanted[name])}
            held = await stored_values(Customer, workspace_id, _LOADED, among, lock=lock)
            for pk, values in held.items():
                found.setdefault(pk, values)
        stored = self.stored
        for pk, values in sorted(found.items()):
            values["custom_fields"] = values["custom_fields"] or {}
            stored[pk] = _Customer(values, stored=pk, name=values["name"])
        of_customers = {'"customer_id"': ("BIGINT", stored)}
        contacts = await stored_values(
            Contact, workspace_id, _CONTACT_LOADED, of_customers, lock=False
        )
        for pk, values in contacts.items():
            contact = _Contact(values, stored=pk, name=values["name"])
            stored[values["customer_id"]].contacts.append(contact)
        self.matches = await record_matches(
            file,
            Customer,
            stored,
            lambda values: _Customer(values, name=values.get("name")),
            _keys_of,
            "customer",
            _name_of,
        )

    def _plan_new(self, row: _Parsed) -> None:
        """The customer (and contact) the row would create, with the problems that would stop
        it, but its custom fields (checked by `check_customer_rows`, when there are any).

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
            values["owner_id"] = self.viewer.user_id
        values["custom_fields"] = {}
        values["workspace_id"] = self.viewer.workspace_id
        # Its keys are its row's: worked out once, when the row was read.
        row.new = _Customer(values, name=values.get("name"), keys=row.keys)
        if row.contact:
            contact = dict(row.contact)
            if "name" not in contact:
                contact_problems.add("contact.name", NEW_CONTACT_NEEDS_NAME, ErrorCode.REQUIRED)
            contact_problems.extend(self.contact_custom[1])
            contact["custom_fields"] = dict(self.contact_custom[0])
            row.new.contacts.append(_Contact(contact, name=contact.get("name")))
        row.new_problems, row.new_contact_problems = problems.items, contact_problems.items

    async def create(self, row: Row, problems: Problems) -> tuple[_Customer, dict[str, Any]]:
        assert isinstance(row, _Parsed)
        problems.extend(row.new_problems)
        external_id = row.new.values.get("external_id")
        check_external_id(problems, external_id, None, self.matches.by_external_id, "customer")
        problems.extend(row.new_contact_problems)
        settle_primary([contact.values for contact in row.new.contacts])
        return row.new, row.new.values

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
        row.contact_target = None
        if row.contact:
            found = target.contact_matches().find(("phone", "email"), None, match_keys(row.contact))
            contact = found.record
            if found.problem is not None:
                problem = found.problem
                problems.add(f"contact.{problem.field}", problem.message, problem.code)
            elif contact is not None:
                problems.extend(
                    overwrites(
                        contact.given, row.contact, {}, "contact", _CONTACT_SHOWN, ("phone",)
                    )
                )
            else:
                # The contact the row would create with its customer, added to this one.
                contact = row.new.contacts[0]
                problems.extend(row.new_contact_problems)
                contact.values["is_primary"] = primary_by_default(None, bool(target.contacts))
            row.contact_target = contact
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
            for first in target.contacts:  # its first contact, from this row's cells
                first.listed, first.row = True, row.number
                first.given.append((row.number, row.contact, {}))
            return True
        target.touched = True
        contact = row.contact_target
        if contact is not None and target.contact_matches().land(
            contact, row.contact, row.number, row.contact, {}
        ):
            target.contacts.append(contact)
        return False

    async def write(self) -> None:
        db = Customer._meta.db
        now = datetime.now(UTC)
        created, matched = self.matches.created, self.stored.values()
        workspace_id = self.viewer.workspace_id
        await give_ids(Customer, [target.values for target in created])
        new_contacts: list[dict[str, Any]] = []
        contact_changes: dict[int, dict[str, Any]] = {}
        for target in [*created, *matched]:
            customer_id = target.stored or target.values["id"]
            for contact in target.contacts:
                if contact.stored is not None and contact.changed:
                    contact_changes[contact.stored] = contact.changes()
                elif contact.stored is None and not contact.unwritten:
                    contact.values["workspace_id"] = workspace_id
                    contact.values["customer_id"] = customer_id
                    new_contacts.append(contact.values)
        await give_ids(Contact, new_contacts)
        storing: asyncio.Task[None] | None = None
        if created:
            if any(target.touched for target in created):
                # A later row of the chunk changed one: lay them out as they are now.
                customers = bulk_sql.new_rows(Customer, [target.values for target in created], now)
            else:
                customers = self.layout.stamped([(t.values["id"], t.record) for t in created], now)
            # The database stores the customers while the contacts are made ready.
            storing = asyncio.create_task(bulk_sql.insert(db, customers))
            await asyncio.sleep(0)  # the rows go out
        try:
            contacts = bulk_sql.new_rows(Contact, new_contacts, now)
        finally:
            if storing is not None:
                await storing
        # A change to a contact is a change to its customer (clients sync by updatedSince).
        customer_changes = {t.stored: t.changes() for t in matched if t.touched and t.stored}
        await bulk_sql.update_rows(db, Customer, customer_changes, now)
        await bulk_sql.insert(db, contacts)
        await bulk_sql.update_rows(db, Contact, contact_changes, now)
        targets = [*created, *matched]
        history = history_of(ChangedEntity.CUSTOMER, targets)
        history += history_of(ChangedEntity.CONTACT, [c for t in targets for c in t.contacts])
        await self.write_history(history, now)


_MATCH_COLUMNS = {
    "externalId": ('"external_id"', "TEXT"),
    "email": ('"email"', "TEXT"),
    "phone": ('"phone_normalized"', "TEXT"),
    # LOWER() of the database: what the API's name search compares, on either database.
    "name": ('LOWER("name")', "TEXT"),
    "id": ('"id"', "BIGINT"),
}
# A stored customer's columns: those rows are matched by, and those its history keeps (so
# are its contacts').
_LOADED = ("phone_normalized", *TRACKED[ChangedEntity.CUSTOMER])
_CONTACT_LOADED = ("customer_id", "phone_normalized", *TRACKED[ChangedEntity.CONTACT])


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
    "kind": ("类型", "客户性质", "type", "customer type"),
    "phone": (*PHONE, "座机", "公司电话", "organization phone"),
    "email": (*EMAIL, "邮件"),
    "website": (
        "网址",
        "网站",
        "官网",
        "公司网址",
        "website url",
        "url",
        "domain",
        "company domain name",
    ),
    "industry": ("行业", "所属行业"),
    "leadSource": (
        "线索来源",
        "客户来源",
        "来源",
        "source",
        "original source",
        "organization source",
    ),
    "tags": ("标签", "labels", "organization labels"),
    "externalId": ("外部编号", "客户代码", "编号", "id", "record id", "company id", *CUSTOMER_ID),
    "owner": (
        "负责人",
        "客户负责人",
        "销售负责人",
        "contact owner",
        "company owner",
        "account owner",
        "organization owner",
    ),
    "notes": NOTES,
    "contact.name": ("联系人", "联系人姓名", "contact", "contact person", "person name"),
    "contact.phone": ("联系人电话", "联系人手机", "contact mobile", "person phone"),
    "contact.email": ("联系人邮箱", "person email"),
    "contact.title": (*TITLE, "person job title"),
}


SPEC = Spec(
    kind=ImportKind.CUSTOMERS,
    record="customer",
    a_record="a customer",
    fields=_FIELDS,
    match_fields=("externalId", "email", "phone", "name"),
    default_match_on=("externalId", "email", "phone"),
    entity=CustomFieldEntity.CUSTOMER,
    open=None,
    growing=("customer", "contact"),
    new_record_needs=(("name",),),
    shown={"phone_normalized": "phone", "external_id": "externalId", "lead_source": "leadSource"},
    # Not compared between rows: a phone is compared as its number, whatever its spacing.
    not_compared=("phone", "tags_index"),
    check=check_customer_rows,
)
apply_customer_rows = SPEC.apply
