"""Creating, changing and deleting customers and contacts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from api.context import Info
from api.core.ids import decode_id
from api.core.mutations import DeletePayload, perform, returning
from api.customers.inputs import ContactInput, ContactPatch, CustomerInput, CustomerPatch
from api.customers.types import ContactPayload, CustomerPayload
from domain import customers, shares
from domain.viewer import Viewer
from models import Customer as CustomerModel


@strawberry.type
class CustomerMutations:
    @strawberry.mutation
    async def create_customer(self, info: Info, input: CustomerInput) -> CustomerPayload:
        return await perform(
            info, CustomerPayload, lambda viewer: customers.create_customer(viewer, input.to_data())
        )

    @strawberry.mutation
    async def update_customer(
        self, info: Info, id: strawberry.ID, input: CustomerPatch
    ) -> CustomerPayload:
        return await perform(
            info,
            CustomerPayload,
            lambda viewer: customers.update_customer(
                viewer, decode_id(id, "Customer", "id"), input.to_changes()
            ),
        )

    @strawberry.mutation(
        description="Deletes the customer with its contacts, activities, reminders "
        "and opportunities."
    )
    async def delete_customer(self, info: Info, id: strawberry.ID) -> DeletePayload:
        return await perform(
            info,
            DeletePayload,
            lambda viewer: returning(
                id, customers.delete_customer(viewer, decode_id(id, "Customer", "id"))
            ),
        )

    @strawberry.mutation
    async def create_contact(self, info: Info, input: ContactInput) -> ContactPayload:
        return await perform(
            info,
            ContactPayload,
            lambda viewer: customers.create_contact(
                viewer,
                decode_id(input.customer_id, "Customer", "input.customerId"),
                input.to_data(),
            ),
        )

    @strawberry.mutation
    async def update_contact(
        self, info: Info, id: strawberry.ID, input: ContactPatch
    ) -> ContactPayload:
        return await perform(
            info,
            ContactPayload,
            lambda viewer: customers.update_contact(
                viewer, decode_id(id, "Contact", "id"), input.to_changes()
            ),
        )

    @strawberry.mutation
    async def delete_contact(self, info: Info, id: strawberry.ID) -> DeletePayload:
        return await perform(
            info,
            DeletePayload,
            lambda viewer: returning(
                id, customers.delete_contact(viewer, decode_id(id, "Contact", "id"))
            ),
        )

    @strawberry.mutation(
        description="Lets a colleague read the customer (and its contacts, activities and "
        "deals) without changing it; whoever may change the customer may share it."
    )
    async def share_customer(
        self, info: Info, customer_id: strawberry.ID, user_id: strawberry.ID
    ) -> CustomerPayload:
        return await _sharing(info, shares.share_customer, customer_id, user_id)

    @strawberry.mutation(description="Takes back a share made with `shareCustomer`.")
    async def unshare_customer(
        self, info: Info, customer_id: strawberry.ID, user_id: strawberry.ID
    ) -> CustomerPayload:
        return await _sharing(info, shares.unshare_customer, customer_id, user_id)


async def _sharing(
    info: Info,
    change: Callable[[Viewer, int, int], Awaitable[CustomerModel]],
    customer_id: strawberry.ID,
    user_id: strawberry.ID,
) -> CustomerPayload:
    return await perform(
        info,
        CustomerPayload,
        lambda viewer: change(
            viewer,
            decode_id(customer_id, "Customer", "customerId"),
            decode_id(user_id, "User", "userId"),
        ),
    )
