"""Pools and their rules (admins), claiming, releasing and locking customers, transfers."""

from __future__ import annotations

import logging
from typing import cast

import strawberry

from api.context import Info
from api.core.ids import decode_id
from api.core.mutations import perform
from api.core.redis_handoff import handed_to_redis
from api.customers.filters import filter_customers
from api.customers.types import CustomerPayload
from api.pools.inputs import CustomerPoolInput, CustomerPoolPatch, TransferCustomersInput
from api.pools.types import CustomerPoolPayload, CustomerTransferPayload
from crm.queues import enqueue_transfer
from domain import pools, transfers
from domain.errors import DomainError, ErrorCode
from domain.viewer import Viewer
from models import CustomerTransfer
from models.enums import TransferStatus

log = logging.getLogger("crm.api.pools")


def _customer_id(id: strawberry.ID) -> int:
    return decode_id(id, "Customer", "id")


@strawberry.type
class PoolMutations:
    @strawberry.mutation(description="A pool (公海) with its rules; ADMIN only.")
    async def create_pool(self, info: Info, input: CustomerPoolInput) -> CustomerPoolPayload:
        return await perform(
            info, CustomerPoolPayload, lambda viewer: pools.create_pool(viewer, input.to_data())
        )

    @strawberry.mutation(description="Changes a pool's name, team or rules; ADMIN only.")
    async def update_pool(
        self, info: Info, id: strawberry.ID, input: CustomerPoolPatch
    ) -> CustomerPoolPayload:
        return await perform(
            info,
            CustomerPoolPayload,
            lambda viewer: pools.update_pool(
                viewer, decode_id(id, "CustomerPool", "id"), input.to_changes()
            ),
        )

    @strawberry.mutation(
        description="Takes a pooled customer the viewer sees: the pool's limits apply "
        "(customers held, claims a day, the previous owner's cooldown); of several claiming "
        "it at once one wins, the others get CONFLICT."
    )
    async def claim_customer(self, info: Info, id: strawberry.ID) -> CustomerPayload:
        return await perform(
            info, CustomerPayload, lambda viewer: pools.claim_customer(viewer, _customer_id(id))
        )

    @strawberry.mutation(
        description="Gives an owned customer back to its owner's pool; the reason goes to its "
        "history."
    )
    async def release_customer(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> CustomerPayload:
        return await perform(
            info,
            CustomerPayload,
            lambda viewer: pools.release_customer(viewer, _customer_id(id), reason),
        )

    @strawberry.mutation(
        description="Exempts an owned customer from the pool's returns (within the pool's "
        "locks per rep)."
    )
    async def lock_customer(self, info: Info, id: strawberry.ID) -> CustomerPayload:
        return await perform(
            info, CustomerPayload, lambda viewer: pools.lock_customer(viewer, _customer_id(id))
        )

    @strawberry.mutation
    async def unlock_customer(self, info: Info, id: strawberry.ID) -> CustomerPayload:
        return await perform(
            info, CustomerPayload, lambda viewer: pools.unlock_customer(viewer, _customer_id(id))
        )

    @strawberry.mutation(
        description=f"Gives customers (`ids`, or the `filter`'s) to another owner. Up to "
        f"{transfers.INLINE_LIMIT} are moved at once; more by a worker: follow `transfer` "
        "with `customerTransfer(id)`."
    )
    async def transfer_customers(
        self, info: Info, input: TransferCustomersInput
    ) -> CustomerTransferPayload:
        async def transfer(viewer: Viewer) -> CustomerTransfer:
            made = await transfers.transfer_customers(
                viewer,
                await _named(viewer, input),
                decode_id(input.to_user_id, "User", "input.toUserId"),
                with_open_deals=input.with_open_deals,
                with_pending_reminders=input.with_pending_reminders,
            )
            if made.status is TransferStatus.QUEUED:
                redis = info.context.request.app.state.redis
                await handed_to_redis(
                    enqueue_transfer(redis, made.id, made.created_at),
                    lambda error: log.warning(
                        "transfer %s: could not nudge a worker (%s); the sweeper will",
                        made.id,
                        error,
                    ),
                )
            return made

        return await perform(info, CustomerTransferPayload, transfer)


async def _named(viewer: Viewer, input: TransferCustomersInput) -> list[int]:
    """The customers the input names: its ids, or those its filter matches."""
    if (input.ids is None) == (input.filter is None):
        raise DomainError.single("input", "Give either ids or a filter.", ErrorCode.INVALID)
    if input.ids is not None:
        return [decode_id(id, "Customer", f"input.ids.{i}") for i, id in enumerate(input.ids)]
    matched = await filter_customers(viewer, input.filter)
    limit = transfers.MAX_TRANSFER + 1  # one more says the filter matches too many
    return cast(list[int], await matched.limit(limit).values_list("id", flat=True))
