"""The write rules of `domain.visibility` applied: whether a viewer may change, delete or
reassign a customer (and what hangs from it: contacts, activities, deals), refused with the
right code. Every door's write goes through here (mutations, imports, workers).

A customer the viewer does not see is NOT_FOUND, like another workspace's; one they see
but may not change is FORBIDDEN, saying why. The rule needs a customer's owner and pool:
a mutation reads them with the record it changes, an import chunk for all its matches in
one statement (`ChunkGuard`), so a chunk of a thousand rows pays what a mutation pays.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import DomainError, ErrorCode, Problem, not_found
from domain.viewer import Viewer
from domain.visibility import (
    Scope,
    customer_filter,
    may_change,
    may_delete,
    may_reassign,
    scope_of,
    sees_without_share,
)
from models import Customer, CustomerShare, Workspace

NOT_YOURS = (
    "You may read this customer but not change it: it is another rep's (ask its owner, "
    "their manager or an admin)."
)
POOLED = "This customer is in the pool: claim it before changing it."
MAY_NOT_DELETE = "The workspace's delete policy ({policy}) does not let you delete this {what}."
MAY_NOT_REASSIGN = (
    "Only a manager over both owners, or an admin, gives a customer or deal to someone else."
)


async def _sees(
    viewer: Viewer, customer_id: int, owner_id: int | None, pool_id: int | None
) -> bool:
    scope = await scope_of(viewer)
    if sees_without_share(scope, owner_id, pool_id):
        return True
    return (
        scope.user_id is not None
        and await CustomerShare.filter(customer_id=customer_id, user_id=scope.user_id).exists()
    )


def _refusal(scope: Scope, owner_id: int | None) -> str:
    return POOLED if owner_id is None and not scope.sees_all else NOT_YOURS


async def check_change(viewer: Viewer, customer: Customer, field: str | None, what: str) -> None:
    """Refuses unless the viewer may change `customer` (or its `what`: "Contact"…):
    NOT_FOUND on `field` when they do not see it, FORBIDDEN when they only read it."""
    scope = await scope_of(viewer)
    if may_change(scope, customer.owner_id):
        return
    if not await _sees(viewer, customer.id, customer.owner_id, customer.pool_id):
        raise not_found(field, what)
    raise DomainError.single(field, _refusal(scope, customer.owner_id), ErrorCode.FORBIDDEN)


async def check_change_of(viewer: Viewer, customer_id: int, field: str | None, what: str) -> None:
    """`check_change` for a record that hangs from the customer `customer_id`."""
    scope = await scope_of(viewer)
    if scope.sees_all:
        return
    customer = await Customer.get(id=customer_id).only("id", "owner_id", "pool_id")
    await check_change(viewer, customer, field, what)


async def check_delete(viewer: Viewer, customer: Customer, field: str | None, what: str) -> None:
    """Refuses unless the workspace's delete policy lets the viewer delete `customer` (or
    its deal: `what`); what they do not see is NOT_FOUND."""
    scope = await scope_of(viewer)
    if scope.sees_all:
        return
    policy = (await Workspace.get(id=viewer.workspace_id).only("id", "delete_policy")).delete_policy
    if may_delete(scope, policy, customer.owner_id):
        return
    if not await _sees(viewer, customer.id, customer.owner_id, customer.pool_id):
        raise not_found(field, what)
    message = MAY_NOT_DELETE.format(policy=policy.value, what=what.lower())
    raise DomainError.single(field, message, ErrorCode.FORBIDDEN)


async def check_reassign(
    viewer: Viewer, from_owner_id: int | None, to_owner_id: int | None, field: str
) -> None:
    """Refuses a change of owner (of a customer or a deal) the viewer may not make."""
    if not may_reassign(await scope_of(viewer), from_owner_id, to_owner_id):
        raise DomainError.single(field, MAY_NOT_REASSIGN, ErrorCode.FORBIDDEN)


class ChunkGuard:
    """The write rules for a chunk of import rows: which of the customers it touches the
    job's viewer sees, with their owners, read in one statement for the whole chunk."""

    def __init__(self, scope: Scope, owners: dict[int, int | None]) -> None:
        self.scope = scope
        # The customers seen among those asked for → their owner (an admin's: none read,
        # they see and change them all).
        self.owners = owners

    @classmethod
    async def load(cls, viewer: Viewer, customer_ids: Iterable[int]) -> ChunkGuard:
        scope = await scope_of(viewer)
        ids = sorted(set(customer_ids))
        owners: dict[int, int | None] = {}
        if ids and not scope.sees_all:
            seen = Customer.filter(await customer_filter(viewer), id__in=ids)
            owners = dict(await seen.values_list("id", "owner_id"))
        return cls(scope, owners)

    def sees(self, customer_id: int) -> bool:
        return self.scope.sees_all or customer_id in self.owners

    def change_refusal(self, customer_id: int, field: str | None) -> Problem | None:
        """Why a row may not change the customer (or what hangs from it); None if it may."""
        owner_id = self.owners.get(customer_id)
        if may_change(self.scope, owner_id):
            return None
        return Problem(field, _refusal(self.scope, owner_id), ErrorCode.FORBIDDEN)

    def reassign_refusal(
        self, from_owner_id: int | None, to_owner_id: int | None, field: str
    ) -> Problem | None:
        if may_reassign(self.scope, from_owner_id, to_owner_id):
            return None
        return Problem(field, MAY_NOT_REASSIGN, ErrorCode.FORBIDDEN)
