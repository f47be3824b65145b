"""Customers and their contacts: creating, changing and removing them, with clean data."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.fields import CharField
from tortoise.models import Model
from tortoise.transactions import in_transaction

from domain.access import check_change, check_change_of, check_delete, check_reassign
from domain.custom_fields import Definitions, clean_custom_fields, load_definitions
from domain.errors import DomainError, ErrorCode, Problem, Problems, not_found
from domain.history import (
    VIA_API,
    Change,
    Through,
    changes_of,
    record_changes,
    record_deletions,
    values_of,
)
from domain.members import check_member
from domain.validation import (
    check_email,
    check_name,
    check_optional,
    check_phone,
    check_tags,
)
from domain.viewer import Viewer
from models import Activity, Contact, Customer, Opportunity
from models.enums import ChangedEntity, CustomerKind, CustomFieldEntity


@dataclass
class ContactData:
    name: str | None
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    is_primary: bool | None = None
    notes: str | None = None
    custom_fields: dict[str, Any] | None = None


@dataclass
class CustomerData:
    name: str | None
    kind: CustomerKind = CustomerKind.COMPANY
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    industry: str | None = None
    lead_source: str | None = None
    tags: list[str] | None = None
    external_id: str | None = None
    owner_id: int | None = None
    custom_fields: dict[str, Any] | None = None
    contacts: list[ContactData] = field(default_factory=list)


# ---------------------------------------------------------------- shared checks


def tags_index(tags: list[str]) -> str:
    return "".join(f"\n{tag}" for tag in tags) + "\n" if tags else ""


@functools.lru_cache(maxsize=1024)
def _checked_tags(tags: tuple[str, ...]) -> tuple[list[str], str, list[Problem]]:
    """`check_tags` and `tags_index` of a list of tags: an import's rows repeat a few lists,
    so each is checked once (its problems are given with the field "tags")."""
    problems = Problems()
    checked = check_tags(problems, "tags", list(tags))
    return checked, tags_index(checked), problems.items


def _check_tags(problems: Problems, path: str, tags: Any) -> tuple[list[str], str]:
    checked, index, found = _checked_tags(tuple(tags or ()))
    for problem in found:
        problems.add(path, problem.message, problem.code)
    return list(checked), index


# Fields `clean_customer_fields` checks by a rule of their own; every other optional text
# column of the model is plain text held to its column's length.
_CUSTOMER_RULED_TEXT = frozenset({"phone", "phone_normalized", "email"})


def _plain_text_limits(model: type[Model], ruled: frozenset[str]) -> dict[str, int]:
    """The model's optional text columns no rule treats apart, each with its column's length.

    Read from the model, so that a text column added to it is checked and kept by every
    door (the API and each import) without being named again here.
    """
    return {
        name: field.max_length
        for name, field in model._meta.fields_map.items()
        if isinstance(field, CharField) and field.null and name not in ruled
    }


_CUSTOMER_TEXT_LIMITS = _plain_text_limits(Customer, _CUSTOMER_RULED_TEXT)


@functools.cache  # asked for every field of every imported row
def api_name(name: str) -> str:
    """A model attribute as the API names it (`lead_source` → `leadSource`)."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def clean_customer_fields(problems: Problems, prefix: str, values: dict[str, Any]) -> dict:
    """Validates the customer fields present in `values`; returns model attributes to set.

    Custom fields are checked apart, against the definitions (`_clean_custom`).
    """
    clean: dict[str, Any] = {}
    for name, value in values.items():
        path = f"{prefix}.{api_name(name)}"
        if name == "name":
            clean["name"] = check_name(problems, path, value)
        elif name == "kind":
            if value is None:
                problems.add(path, "Must not be null.", ErrorCode.REQUIRED)
            else:
                clean["kind"] = value
        elif name == "phone":
            clean["phone"], clean["phone_normalized"] = check_phone(problems, path, value)
        elif name == "email":
            clean["email"] = check_email(problems, path, value)
        elif name == "tags":
            clean["tags"], clean["tags_index"] = _check_tags(problems, path, value)
        elif name == "owner_id":
            clean["owner_id"] = value
        elif name in _CUSTOMER_TEXT_LIMITS:
            clean[name] = check_optional(problems, path, value, _CUSTOMER_TEXT_LIMITS[name])
    return clean


def clean_contact_fields(problems: Problems, prefix: str, values: dict[str, Any]) -> dict:
    """As `clean_customer_fields`, for a contact's fields."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        path = f"{prefix}.{'isPrimary' if name == 'is_primary' else name}"
        if name == "name":
            clean["name"] = check_name(problems, path, value)
        elif name == "phone":
            clean["phone"], clean["phone_normalized"] = check_phone(problems, path, value)
        elif name == "email":
            clean["email"] = check_email(problems, path, value)
        elif name == "title":
            clean["title"] = check_optional(problems, path, value, 200)
        elif name == "notes":
            clean["notes"] = check_optional(problems, path, value, 10_000)
        elif name == "is_primary":
            clean["is_primary"] = bool(value)
    return clean


async def _clean_custom(
    problems: Problems,
    viewer: Viewer,
    entity: CustomFieldEntity,
    clean: dict[str, Any],
    values: dict[str, Any],
    prefix: str,
    *,
    existing: dict | None = None,
    definitions: Definitions | None = None,
) -> None:
    """Checks `values["custom_fields"]` (on update only when sent) into `clean`."""
    if existing is not None and "custom_fields" not in values:
        return
    clean["custom_fields"] = await clean_custom_fields(
        problems,
        viewer,
        entity,
        values.get("custom_fields"),
        existing=existing,
        path=f"{prefix}.customFields",
        definitions=definitions,
    )


async def _check_external_id_free(
    problems: Problems, path: str, viewer: Viewer, external_id: str | None, exclude_id: int | None
) -> None:
    if external_id is None or len(external_id) > _CUSTOMER_TEXT_LIMITS["external_id"]:
        # Too long is a problem already, and Tortoise refuses to filter by it.
        return
    query = Customer.filter(workspace_id=viewer.workspace_id, external_id=external_id)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        problems.add(
            path, f"Another customer already has external id “{external_id}”.", ErrorCode.DUPLICATE
        )


def _duplicate_external_id(external_id: str | None) -> DomainError:
    return DomainError.single(
        "input.externalId",
        f"Another customer already has external id “{external_id}”.",
        ErrorCode.DUPLICATE,
    )


# ---------------------------------------------------------------- customers


async def get_customer(
    viewer: Viewer, customer_id: int, field: str = "id", *, lock: bool = False
) -> Customer:
    """The viewer's workspace's customer; `lock`: held until the caller's transaction ends
    (PostgreSQL; SQLite has a single writer)."""
    query = Customer.filter(id=customer_id, workspace_id=viewer.workspace_id)
    customer = await (query.select_for_update() if lock else query).first()
    if customer is None:
        raise not_found(field, "Customer")
    return customer


async def create_customer(
    viewer: Viewer, data: CustomerData, *, through: Through = VIA_API
) -> Customer:
    problems = Problems()
    values = {k: v for k, v in vars(data).items() if k != "contacts"}
    clean = clean_customer_fields(problems, "input", values)
    definitions = await load_definitions(viewer)  # the customer's and its contacts'
    await _clean_custom(
        problems,
        viewer,
        CustomFieldEntity.CUSTOMER,
        clean,
        values,
        "input",
        definitions=definitions,
    )
    contacts = []
    for i, contact in enumerate(data.contacts):
        prefix = f"input.contacts.{i}"
        contacts.append(clean_contact_fields(problems, prefix, vars(contact)))
        await _clean_custom(
            problems,
            viewer,
            CustomFieldEntity.CONTACT,
            contacts[-1],
            vars(contact),
            prefix,
            definitions=definitions,
        )
    settle_primary(contacts)
    await check_member(problems, "input.ownerId", viewer, data.owner_id)
    await _check_external_id_free(problems, "input.externalId", viewer, clean["external_id"], None)
    problems.raise_if_any()
    if data.owner_id is not None:
        # Naming someone else than oneself as the owner gives them the customer.
        await check_reassign(viewer, viewer.user_id, data.owner_id, "input.ownerId")
    if clean.get("owner_id") is None and viewer.user_id is not None:
        # Whoever types a customer in looks after it until someone says otherwise.
        clean["owner_id"] = viewer.user_id
    try:
        async with in_transaction():
            customer = await Customer.create(workspace_id=viewer.workspace_id, **clean)
            if contacts:
                await Contact.bulk_create(
                    [
                        Contact(workspace_id=viewer.workspace_id, customer_id=customer.id, **c)
                        for c in contacts
                    ]
                )
            history = changes_of(ChangedEntity.CUSTOMER, customer.id, customer.id, None, clean)
            if contacts:
                # bulk_create does not give the new ids back: the customer's are all new.
                for created in await Contact.filter(customer_id=customer.id).order_by("id"):
                    history += changes_of(
                        ChangedEntity.CONTACT,
                        created.id,
                        customer.id,
                        None,
                        values_of(ChangedEntity.CONTACT, created),
                    )
            await record_changes(viewer, through, history, at=customer.created_at)
    except IntegrityError:
        raise _duplicate_external_id(clean["external_id"]) from None
    return customer


# An import row may name a contact by phone or e-mail to update it; a new one needs a name
# (the API's inputs require it by type).
NEW_CONTACT_NEEDS_NAME = "A new contact needs a name."


def settle_primary(contacts: list[dict[str, Any]]) -> None:
    """Exactly one contact created with a customer is primary: the first flagged, else the
    first. `createCustomer` and a customer import row's contact both settle it here."""
    flagged = [c for c in contacts if c.get("is_primary")]
    for contact in contacts:
        contact["is_primary"] = False
    if contacts:
        (flagged[0] if flagged else contacts[0])["is_primary"] = True


def primary_by_default(given: bool | None, has_contacts: bool) -> bool:
    """Whether a contact added to a customer is primary: as given, else when it is the
    customer's first. `createContact` and both imports that add contacts ask this."""
    return not has_contacts if given is None else given


# An update reads the record, merges the changes into its custom fields and writes the
# merged JSON back: it locks the row first, so two edits at once cannot each write back the
# JSON they read and lose the other's keys.


async def update_customer(
    viewer: Viewer, customer_id: int, changes: dict[str, Any], *, through: Through = VIA_API
) -> Customer:
    async with in_transaction():
        customer = await get_customer(viewer, customer_id, lock=True)
        await check_change(viewer, customer, "id", "Customer")
        return await _change_customer(viewer, customer, changes, through)


async def _change_customer(
    viewer: Viewer, customer: Customer, changes: dict[str, Any], through: Through
) -> Customer:
    problems = Problems()
    clean = clean_customer_fields(problems, "input", changes)
    await _clean_custom(
        problems,
        viewer,
        CustomFieldEntity.CUSTOMER,
        clean,
        changes,
        "input",
        existing=customer.custom_fields,
    )
    if "owner_id" in changes:
        await check_member(problems, "input.ownerId", viewer, changes["owner_id"])
    if "external_id" in clean:
        await _check_external_id_free(
            problems, "input.externalId", viewer, clean["external_id"], customer.id
        )
    problems.raise_if_any()
    if "owner_id" in clean and clean["owner_id"] != customer.owner_id:
        await check_reassign(viewer, customer.owner_id, clean["owner_id"], "input.ownerId")
    if not clean:
        return customer
    before = values_of(ChangedEntity.CUSTOMER, customer)
    customer.update_from_dict(clean)
    try:
        await customer.save(update_fields=[*clean, "updated_at"])
    except IntegrityError:
        raise _duplicate_external_id(clean.get("external_id")) from None
    history = changes_of(ChangedEntity.CUSTOMER, customer.id, customer.id, before, clean)
    await record_changes(viewer, through, history, at=customer.updated_at)
    return customer


async def delete_customer(viewer: Viewer, customer_id: int, *, through: Through = VIA_API) -> int:
    """Deletes the customer with its contacts, activities, reminders and opportunities, and
    leaves a tombstone for each of them but the reminders."""
    customer = await get_customer(viewer, customer_id)
    await check_delete(viewer, customer, "id", "Customer")
    async with in_transaction():
        deleted: list[tuple[ChangedEntity, int, int | None]] = [
            (ChangedEntity.CUSTOMER, customer.id, customer.id)
        ]
        for entity, model in _CASCADED:
            # Tortoise types a flat values_list as tuples; it gives the column's values.
            ids = cast(
                list[int],
                await model.filter(customer_id=customer.id).values_list("id", flat=True),
            )
            deleted += [(entity, child_id, customer.id) for child_id in sorted(ids)]
        await customer.delete()
        await record_deletions(viewer, through, deleted, at=datetime.now(UTC))
    return customer_id


# What goes with a customer that the change feed must hear of.
_CASCADED: tuple[tuple[ChangedEntity, type[Model]], ...] = (
    (ChangedEntity.CONTACT, Contact),
    (ChangedEntity.ACTIVITY, Activity),
    (ChangedEntity.OPPORTUNITY, Opportunity),
)


# ---------------------------------------------------------------- contacts


async def get_contact(
    viewer: Viewer, contact_id: int, field: str = "id", *, lock: bool = False
) -> Contact:
    query = Contact.filter(id=contact_id, workspace_id=viewer.workspace_id)
    contact = await (query.select_for_update() if lock else query).first()
    if contact is None:
        raise not_found(field, "Contact")
    return contact


async def _touch(customer_id: int) -> None:
    """A change to a contact is a change to its customer, for clients syncing by updatedSince."""
    await Customer.filter(id=customer_id).update(updated_at=datetime.now(UTC))


async def _make_only_primary(contact: Contact) -> list[Change]:
    """Makes the others not primary; their history entries."""
    others = Contact.filter(customer_id=contact.customer_id, is_primary=True).exclude(id=contact.id)
    # Tortoise types a flat values_list as tuples; it gives the column's values.
    was_primary = cast(list[int], await others.values_list("id", flat=True))
    if not was_primary:
        return []
    await Contact.filter(id__in=was_primary).update(is_primary=False)
    return [_primary_change(other, contact.customer_id, False) for other in sorted(was_primary)]


def _primary_change(contact_id: int, customer_id: int, primary: bool) -> Change:
    return Change(ChangedEntity.CONTACT, contact_id, customer_id, "isPrimary", not primary, primary)


async def create_contact(
    viewer: Viewer, customer_id: int, data: ContactData, *, through: Through = VIA_API
) -> Contact:
    customer = await get_customer(viewer, customer_id, "input.customerId")
    await check_change(viewer, customer, "input.customerId", "Customer")
    problems = Problems()
    clean = clean_contact_fields(problems, "input", vars(data))
    await _clean_custom(problems, viewer, CustomFieldEntity.CONTACT, clean, vars(data), "input")
    problems.raise_if_any()
    async with in_transaction():
        has_contacts = await Contact.filter(customer_id=customer.id).exists()
        clean["is_primary"] = primary_by_default(data.is_primary, has_contacts)
        contact = await Contact.create(
            workspace_id=viewer.workspace_id, customer_id=customer.id, **clean
        )
        history = changes_of(ChangedEntity.CONTACT, contact.id, customer.id, None, clean)
        if contact.is_primary:
            history += await _make_only_primary(contact)
        await _touch(customer.id)
        await record_changes(viewer, through, history, at=contact.created_at)
    return contact


async def update_contact(
    viewer: Viewer, contact_id: int, changes: dict[str, Any], *, through: Through = VIA_API
) -> Contact:
    async with in_transaction():  # locked, as for update_customer
        contact = await get_contact(viewer, contact_id, lock=True)
        await check_change_of(viewer, contact.customer_id, "id", "Contact")
        return await _change_contact(viewer, contact, changes, through)


async def _change_contact(
    viewer: Viewer, contact: Contact, changes: dict[str, Any], through: Through
) -> Contact:
    problems = Problems()
    clean = clean_contact_fields(problems, "input", changes)
    await _clean_custom(
        problems,
        viewer,
        CustomFieldEntity.CONTACT,
        clean,
        changes,
        "input",
        existing=contact.custom_fields,
    )
    problems.raise_if_any()
    if not clean:
        return contact
    before = values_of(ChangedEntity.CONTACT, contact)
    contact.update_from_dict(clean)
    await contact.save(update_fields=[*clean, "updated_at"])
    history = changes_of(ChangedEntity.CONTACT, contact.id, contact.customer_id, before, clean)
    if clean.get("is_primary"):
        history += await _make_only_primary(contact)
    await _touch(contact.customer_id)
    await record_changes(viewer, through, history, at=contact.updated_at)
    return contact


async def delete_contact(viewer: Viewer, contact_id: int, *, through: Through = VIA_API) -> int:
    contact = await get_contact(viewer, contact_id)
    await check_change_of(viewer, contact.customer_id, "id", "Contact")
    async with in_transaction():
        await contact.delete()
        history: list[Change] = []
        if contact.is_primary:
            # A customer with contacts always has a primary one: the oldest takes over.
            successor = await Contact.filter(customer_id=contact.customer_id).order_by("id").first()
            if successor is not None:
                await Contact.filter(id=successor.id).update(is_primary=True)
                history.append(_primary_change(successor.id, contact.customer_id, True))
        await _touch(contact.customer_id)
        now = datetime.now(UTC)
        await record_changes(viewer, through, history, at=now)
        deleted = [(ChangedEntity.CONTACT, contact.id, contact.customer_id)]
        await record_deletions(viewer, through, deleted, at=now)
    return contact_id
