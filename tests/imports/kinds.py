"""What the tests of the contact, activity and opportunity appliers share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.transactions import in_transaction

from api.core.ids import from_global_id
from domain.customers import CustomerData, create_customer
from domain.imports.cells import ChunkResult
from domain.viewer import Viewer
from models import Customer, User
from models.enums import ImportMode, Role
from tests.helpers import Account

Applier = Callable[..., Awaitable[ChunkResult]]


async def admin_of(account: Account) -> Viewer:
    user = await User.get(id=from_global_id(account.user_id)[1])
    return Viewer(workspace_id=user.workspace_id, role=Role.ADMIN, user_id=user.id)


async def customer(viewer: Viewer, name: str, **fields: Any) -> Customer:
    return await create_customer(viewer, CustomerData(name=name, **fields))


async def apply_rows(
    applier: Applier,
    viewer: Viewer,
    rows: list[dict[str, str | None]],
    *,
    mode: ImportMode = ImportMode.UPSERT,
    match_on: tuple[str, ...],
    first_row: int = 1,
) -> ChunkResult:
    """Applies the rows as one chunk, in one transaction, as the runner does."""
    numbered = list(enumerate(rows, start=first_row))
    async with in_transaction():
        return await applier(viewer, numbered, mode=mode, match_on=list(match_on))


def failures(result: ChunkResult) -> set[tuple[int, str | None]]:
    return {(failure.row, failure.field) for failure in result.failures}
