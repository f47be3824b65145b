"""Sharing a customer with a colleague, who then reads it (and what hangs from it) but may
not change it. Whoever may change the customer may share it and take a share back."""

from __future__ import annotations

from contextlib import suppress

from tortoise.exceptions import IntegrityError

from domain.access import check_change
from domain.customers import get_customer
from domain.errors import DomainError, ErrorCode, not_found
from domain.viewer import Viewer
from models import Customer, CustomerShare, User


async def _customer_and_user(
    viewer: Viewer, customer_id: int, user_id: int
) -> tuple[Customer, User]:
    customer = await get_customer(viewer, customer_id, "customerId")
    await check_change(viewer, customer, "customerId", "Customer")
    user = await User.get_or_none(id=user_id, workspace_id=viewer.workspace_id)
    if user is None:
        raise not_found("userId", "User")
    return customer, user


async def share_customer(viewer: Viewer, customer_id: int, user_id: int) -> Customer:
    customer, user = await _customer_and_user(viewer, customer_id, user_id)
    if user.id == customer.owner_id:
        raise DomainError.single(
            "userId", "The owner sees their customer already.", ErrorCode.INVALID
        )
    if not await CustomerShare.filter(customer_id=customer.id, user_id=user.id).exists():
        # Shared at the same moment by someone else: shared all the same.
        with suppress(IntegrityError):
            await CustomerShare.create(
                workspace_id=viewer.workspace_id, customer_id=customer.id, user_id=user.id
            )
    return customer


async def unshare_customer(viewer: Viewer, customer_id: int, user_id: int) -> Customer:
    customer, user = await _customer_and_user(viewer, customer_id, user_id)
    await CustomerShare.filter(customer_id=customer.id, user_id=user.id).delete()
    return customer
