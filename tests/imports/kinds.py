"""What the tests of the contact, activity and opportunity appliers share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tortoise.transactions import in_transaction

from domain.imports.cells import ChunkResult
from domain.viewer import Viewer
from models.enums import ImportMode

Applier = Callable[..., Awaitable[ChunkResult]]


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
