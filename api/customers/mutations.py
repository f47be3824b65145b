"""Creating, changing and deleting customers and contacts."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.core.errors import UserError, errors_field
from api.core.ids import decode_id
from api.core.mutations import respond
from api.customers.inputs import ContactInput, ContactPatch, CustomerInput, CustomerPatch
from api.customers.types import Contact, Customer
from domain import customers


@strawberry.type
class CustomerPayload:
    customer: Customer | None
    errors: list[UserError] = errors_field()


@strawberry.type
class ContactPayload:
    contact: Contact | None
    errors: list[UserError] = errors_field()


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError] = errors_field()


@strawberry.type
class CustomerMutations:
    @strawberry.mutation
    async def create_customer(self, info: Info, input: CustomerInput) -> CustomerPayload:
        viewer = info.context.require_viewer()
        return await respond(
            CustomerPayload,
            "customer",
            lambda: customers.create_customer(viewer, input.to_data()),
        )

    @strawberry.mutation
    async def update_customer(
        self, info: Info, id: strawberry.ID, input: CustomerPatch
    ) -> CustomerPayload:
        viewer = info.context.require_viewer()
        return await respond(
            CustomerPayload,
            "customer",
            lambda: customers.update_customer(
                viewer, decode_id(id, "Customer", "id"), input.to_changes()
            ),
        )

    @strawberry.mutation(
        description="Deletes the customer with its contacts, activities, reminders "
        "and opportunities."
    )
    async def delete_customer(self, info: Info, id: strawberry.ID) -> DeletePayload:
        viewer = info.context.require_viewer()

        async def delete() -> strawberry.ID:
            await customers.delete_customer(viewer, decode_id(id, "Customer", "id"))
            return id

        return await respond(DeletePayload, "deleted_id", delete)

    @strawberry.mutation
    async def create_contact(self, info: Info, input: ContactInput) -> ContactPayload:
        viewer = info.context.require_viewer()
        return await respond(
            ContactPayload,
            "contact",
            lambda: customers.create_contact(
                viewer,
                decode_id(input.customer_id, "Customer", "input.customerId"),
                input.to_data(),
            ),
        )

    @strawberry.mutation
    async def update_contact(
        self, info: Info, id: strawberry.ID, input: ContactPatch
    ) -> ContactPayload:
        viewer = info.context.require_viewer()
        return await respond(
            ContactPayload,
            "contact",
            lambda: customers.update_contact(
                viewer, decode_id(id, "Contact", "id"), input.to_changes()
            ),
        )

    @strawberry.mutation
    async def delete_contact(self, info: Info, id: strawberry.ID) -> DeletePayload:
        viewer = info.context.require_viewer()

        async def delete() -> strawberry.ID:
            await customers.delete_contact(viewer, decode_id(id, "Contact", "id"))
            return id

        return await respond(DeletePayload, "deleted_id", delete)
