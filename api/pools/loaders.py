"""The pools' loaders: a pooled customer's pool, by its `pool_id` (0: the default pool)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from domain.pools import default_pool
from models import CustomerPool

DEFAULT = 0


def _pool_by_id(workspace_id: int) -> DataLoader[int, Any]:
    async def load(ids: Sequence[int]) -> list[Any]:
        pools = await CustomerPool.filter(id__in=list(ids), workspace_id=workspace_id)
        found: dict[int, CustomerPool] = {pool.id: pool for pool in pools}
        if DEFAULT in ids and workspace_id:
            found[DEFAULT] = await default_pool(workspace_id)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


class PoolLoaders:
    def __init__(self, workspace_id: int) -> None:
        self.pool_by_id = _pool_by_id(workspace_id)
