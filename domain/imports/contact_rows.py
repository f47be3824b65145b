"""Contact imports: each row a contact of an existing customer, created or updated.

Rows name their customer (`customer.externalId`, `customer.phone` or `customer.name`)
and are matched against that customer's contacts only, on the `matchOn` fields (e-mail,
phone, name), and against the contacts earlier rows of the chunk created, by the rule of
`Matches.find` (keys that disagree or that several contacts share fail the row), and
never overwrite what an earlier row of the file gave (`matches.overwrites`). Values are
checked by the API's rules (`clean_contact_fields`, `clean_custom_fields`); a customer
keeps exactly the primary contact the API would give it. The chunk costs a constant
number of statements: definitions, one lookup per link column, the linked customers'
contacts, what earlier chunks of the file did to them (`file_keys`), one id allocation,
one INSERT, one UPDATE of contacts and one of their customers, one INSERT of history.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, datetime
from typing import Any

from domain.bulk_sql import insert_rows, update_rows
from domain.custom_fields import Definitions, load_definitions
from domain.customers import NEW_CONTACT_NEEDS_NAME, clean_contact_fields, primary_by_default
from domain.errors import ErrorCode, Problems
from domain.history import TRACKED
from domain.imports.cells import ROW, Cells, given, put, typed_custom_fields
from domain.imports.customer_rows import match_keys
from domain.imports.engine import (
    Opening,
    RecordChunk,
    Row,
    Spec,
    give_ids,
    history_of,
    record_matches,
    stored_values,
)
from domain.imports.headers import CUSTOMER_LINK, EMAIL, NOTES, PHONE, TITLE, Aliases
from domain.imports.links import CustomerLinks
from domain.imports.matches import Matches, Record
from domain.imports.values import parse_yes_no
from domain.viewer import Viewer
from models import Contact, Customer
from models.enums import ChangedEntity, CustomFieldEntity, ImportKind

# Canonical import field → argument of `clean_contact_fields`.
_COLUMNS = {"name": "name", "phone": "phone", "email": "email", "title": "title", "notes": "notes"}


# The columns of a contact rows are matched by, and change, and those its history keeps;
# loaded for every stored one.
_LOADED = ("customer_id", "phone_normalized", *TRACKED[ChangedEntity.CONTACT])


def _keys(customer_id: int, values: dict[str, Any]) -> dict[str, Hashable]:
    """A contact's (or a row's) keys: each within its customer."""
    keys = {field: (customer_id, key) for field, key in match_keys(values).items()}
    return {"customer": customer_id, **keys}


def _keys_of(contact: Record) -> dict[str, Hashable]:
    return _keys(contact.values["customer_id"], contact.values)


def _parse(number: int, cells: Cells, definitions: Definitions, links: CustomerLinks) -> Row:
    problems = Problems()
    customer = links.find(problems, cells)
    present = given(cells)
    values = {column: present[name] for name, column in _COLUMNS.items() if name in present}
    clean = clean_contact_fields(problems, ROW, values)
    put(problems, clean, "isPrimary", "is_primary", parse_yes_no(present.get("isPrimary")))
    custom = typed_custom_fields(problems, present, definitions, CustomFieldEntity.CONTACT)
    keys = _keys(customer.id, clean) if customer is not None else {}
    return Row(number, problems, clean, custom, keys, present, customer)


async def _open(opening: Opening) -> _Chunk:
    viewer = opening.viewer
    definitions = await load_definitions(viewer)
    links = await CustomerLinks.load(viewer, opening.cells)
    parsed = [_parse(number, cells, definitions, links) for number, cells in opening.rows]
    customer_ids = {row.customer.id for row in parsed if row.customer is not None}
    # The stored contacts of the rows' customers, locked as `opening.lock` says.
    of_customers = {'"customer_id"': ("BIGINT", customer_ids)}
    stored = await stored_values(
        Contact, viewer.workspace_id, _LOADED, of_customers, lock=opening.lock
    )
    for values in stored.values():
        values["custom_fields"] = values["custom_fields"] or {}
    if opening.file is not None:
        # A dry run's contacts earlier chunks would have created: found by their customer.
        await opening.file.find(("customer", customer_id) for customer_id in sorted(customer_ids))
    matches = await record_matches(
        opening.file,
        Contact,
        {pk: Record(values, stored=pk) for pk, values in stored.items()},
        Record,
        _keys_of,
        "contact",
        lambda contact: contact.values["name"],
        moves_keys=True,
    )
    return _Chunk(parsed, viewer, definitions, matches)


class _Chunk(RecordChunk[Record]):
    def __init__(
        self, rows: list[Row], viewer: Viewer, definitions: Definitions, matches: Matches[Record]
    ) -> None:
        super().__init__(SPEC, rows)
        self.viewer, self.definitions, self.matches = viewer, definitions, matches
        self.touched: set[int] = set()  # customers whose contacts changed

    async def create(self, row: Row, problems: Problems) -> tuple[Record, dict[str, Any]]:
        assert row.customer is not None
        values = dict(row.values)
        if "name" not in values:
            problems.add("name", NEW_CONTACT_NEEDS_NAME, ErrorCode.REQUIRED)
        values["custom_fields"] = await self.custom_fields(row, problems)
        has_contacts = bool(self.matches.holding("customer", row.customer.id))
        values["is_primary"] = primary_by_default(values.get("is_primary"), has_contacts)
        values["customer_id"] = row.customer.id
        return Record(values), values

    async def update(self, row: Row, target: Record, problems: Problems) -> dict[str, Any]:
        changes = dict(row.values)
        if row.custom:
            changes["custom_fields"] = await self.custom_fields(row, problems, target)
        return changes

    def land(self, row: Row, target: Record, changes: dict[str, Any]) -> bool:
        is_new = super().land(row, target, changes)
        customer_id = target.values["customer_id"]
        if target.values["is_primary"]:  # the customer's only primary contact
            for contact in self.matches.holding("customer", customer_id):
                if contact is not target and contact.values["is_primary"]:
                    contact.values["is_primary"] = False
                    if contact.stored is not None:
                        contact.changed.add("is_primary")
        self.touched.add(customer_id)
        return is_new

    async def write(self) -> None:
        db = Contact._meta.db
        now = datetime.now(UTC)
        created = [contact.values for contact in self.matches.created]
        await give_ids(Contact, created, workspace_id=self.viewer.workspace_id)
        changes = {
            contact.stored: contact.changes()
            for contact in self.matches.records()
            if contact.stored is not None and contact.changed
        }
        await insert_rows(db, Contact, created, now)
        await update_rows(db, Contact, changes, now)
        contacts = [*self.matches.created, *self.matches.records()]
        await self.write_history(history_of(ChangedEntity.CONTACT, contacts), now)
        # A change to a contact is a change to its customer (clients sync by updatedSince).
        await update_rows(db, Customer, {pk: {} for pk in sorted(self.touched)}, now)


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
    "isPrimary": ("主联系人", "是否主联系人", "primary", "primary contact"),
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
