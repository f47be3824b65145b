"""Customer and contact inputs, and their conversion to domain data."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.core.ids import decode_optional_id
from api.core.inputs import changes_of, set_fields
from api.customers.types import CustomerKind
from domain.customers import ContactData, CustomerData
from models.enums import CustomerKind as CustomerKindEnum


@strawberry.input
class ContactFields:
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    is_primary: bool | None = None
    notes: str | None = None
    custom_fields: JSON | None = None

    def to_data(self) -> ContactData:
        return ContactData(**vars(self))


@strawberry.input
class CustomerInput:
    name: str
    kind: CustomerKind = CustomerKindEnum.COMPANY
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    industry: str | None = None
    lead_source: str | None = None
    tags: list[str] | None = None
    external_id: str | None = None
    owner_id: strawberry.ID | None = None
    custom_fields: JSON | None = None
    contacts: list[ContactFields] | None = strawberry.field(
        default=None, description="Contacts created together with the customer."
    )

    def to_data(self) -> CustomerData:
        values = {k: v for k, v in vars(self).items() if k != "contacts"}
        values["owner_id"] = decode_optional_id(self.owner_id, "User", "input.ownerId")
        values["kind"] = CustomerKindEnum(self.kind.value)
        return CustomerData(**values, contacts=[c.to_data() for c in self.contacts or []])


@strawberry.input
class CustomerPatch:
    name: str | None = strawberry.UNSET
    kind: CustomerKind | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    industry: str | None = strawberry.UNSET
    lead_source: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    external_id: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET

    def to_changes(self) -> dict[str, Any]:
        return changes_of(
            self, ids={"owner_id": ("User", "input.ownerId")}, enums={"kind": CustomerKindEnum}
        )


@strawberry.input
class ContactInput:
    customer_id: strawberry.ID
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    is_primary: bool | None = None
    notes: str | None = None
    custom_fields: JSON | None = None

    def to_data(self) -> ContactData:
        return ContactData(**{k: v for k, v in vars(self).items() if k != "customer_id"})


@strawberry.input
class ContactPatch:
    name: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    is_primary: bool | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET

    def to_changes(self) -> dict[str, Any]:
        return set_fields(self)
