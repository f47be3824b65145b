"""The customers' loaders: customers and contacts by id (those the viewer sees), a
customer's contacts, and pools by id (whose `mask_contacts` a pooled customer reads by)."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q

from api.core.loaders import by_id, pages_by, seen_by
from domain.viewer import Viewer
from models import Contact, Customer, CustomerPool

# Primary contact first, then in the order they were added.
CONTACT_ORDER = (("is_primary", True), ("id", False))


def _pools(workspace_id: int) -> DataLoader[int | None, CustomerPool | None]:
    """Pools by id; None stands for the workspace's default pool (a customer's `pool_id`
    NULL), None too when the workspace has none."""

    async def load(ids: Sequence[int | None]) -> list[CustomerPool | None]:
        named = [pool_id for pool_id in ids if pool_id is not None]
        pools = await CustomerPool.filter(
            Q(id__in=named) | Q(is_default=True), workspace_id=workspace_id
        )
        found: dict[int | None, CustomerPool | None] = {pool.id: pool for pool in pools}
        found[None] = next((pool for pool in pools if pool.is_default), None)
        return [found.get(pool_id) for pool_id in ids]

    return DataLoader(load_fn=load)


class CustomerLoaders:
    def __init__(self, workspace_id: int, viewer: Viewer | None) -> None:
        self.customer_by_id = by_id(Customer, workspace_id, seen_by(viewer))
        self.contact_by_id = by_id(Contact, workspace_id, seen_by(viewer, "customer__"))
        self.contacts_by_customer = pages_by(Contact, "customer_id", CONTACT_ORDER, workspace_id)
        self.pool_by_id = _pools(workspace_id)
