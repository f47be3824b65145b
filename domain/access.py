"""The write rules of `domain.visibility` applied: whether a viewer may change, delete or
reassign a customer (and what hangs from it: contacts, activities, deals), refused with the
right code. Every door's write goes through here (mutations, imports, workers).

A customer the viewer does not see is NOT_FOUND, like another workspace's; one they see
but may not change is FORBIDDEN, saying why. The rule needs a customer's owner and pool:
a mutation reads them with the record it changes, an import chunk for all its matches in
one statement (`changeable`), so a chunk of a thousand rows pays what a mutation pays.
"""

from __future__ import annotations

from domain.errors import DomainError, ErrorCode, not_found
from domain.viewer import Viewer
from domain.visibility import Scope, may_change, may_delete, may_reassign, scope_of
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


def sees_without_share(scope: Scope, owner_id: int | None, pool_id: int | None) -> bool:
    """Whether the viewer sees a customer by its owner or pool alone (shares aside)."""
    if scope.sees_all:
        return True
    if owner_id is not None:
        return owner_id in (scope.owner_ids or ())
    return pool_id is None or pool_id in scope.pool_ids


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


async def reassign_refusal(
    viewer: Viewer, from_owner_id: int | None, to_owner_id: int | None
) -> str | None:
    """Why the viewer may not give a record from one owner to another; None if they may
    (for an import row, which reports it as a row error)."""
    return (
        None
        if may_reassign(await scope_of(viewer), from_owner_id, to_owner_id)
        else MAY_NOT_REASSIGN
    )


async def change_refusals(viewer: Viewer, owners: dict[int, int | None]) -> dict[int, str]:
    """For matched customers the viewer sees (customer id → owner id), why each one they
    may not change is refused; pure once the viewer's scope is known (an import chunk)."""
    scope = await scope_of(viewer)
    return {
        customer_id: _refusal(scope, owner_id)
        for customer_id, owner_id in owners.items()
        if not may_change(scope, owner_id)
    }
