"""Whether the viewer reads a customer's contact details masked: one question for the
customer's and its contacts' phone and e-mail fields and for their history."""

from __future__ import annotations

from api.context import Info
from domain.visibility import masks_contact_details, scope_of
from models import Customer


async def reads_masked(info: Info, customer: Customer) -> bool:
    """Whether the viewer reads the customer's phone and e-mail, and its contacts', masked
    (`domain.visibility.masks_contact_details`; only a pooled customer's ever are)."""
    if customer.owner_id is not None:
        return False
    scope = await scope_of(info.context.require_viewer())
    pool = await info.context.loaders.pool_by_id.load(customer.pool_id or 0)
    return masks_contact_details(scope, customer.owner_id, pool)
