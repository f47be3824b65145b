"""Reading import jobs."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.core.node import resolve_node
from api.core.pagination import Connection, Ordering, paginate
from api.imports.types import ImportJob
from domain.imports.jobs import visible_jobs


@strawberry.type
class ImportQueries:
    @strawberry.field
    async def import_job(self, info: Info, id: strawberry.ID) -> ImportJob | None:
        return await resolve_node(info, id, "ImportJob")

    @strawberry.field(
        description="Newest first: a REP's own, a MANAGER's and their teams', an ADMIN's all."
    )
    async def import_jobs(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ImportJob]:
        viewer = info.context.require_viewer()
        jobs = await visible_jobs(viewer)
        return await paginate(jobs, Ordering("id", descending=True), first=first, after=after)
