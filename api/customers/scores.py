"""Asking workers to recompute customers' scores (`recomputeScores`).

The resolver checks the request with the domain, then queues one job on the default queue
(`crm.queues.enqueue_scores`); the scores appear on the records once a worker has run it.
Unlike an import, the request leaves no row behind for a sweeper to find, so when Redis
does not take the job the caller is told (`queued: false`, CONFLICT) and may ask again;
the nightly run rescores everything anyway.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry

from api.context import Info
from api.core.errors import UserError, errors_field
from api.core.ids import decode_id
from api.core.mutations import perform
from api.core.redis_handoff import handed_to_redis
from crm.queues import enqueue_scores
from domain import scoring
from domain.errors import DomainError, ErrorCode
from domain.viewer import Viewer

log = logging.getLogger("crm.api.scores")

QUEUE_DOWN = "The scores could not be queued: the job queue is unavailable. Try again shortly."


@strawberry.type
class QueuedPayload:
    queued: bool = strawberry.field(
        default=False,
        description="True once the work is queued; the results appear on the records when "
        "a worker has done it.",
    )
    errors: list[UserError] = errors_field()


def _customer_pk(global_id: str) -> int | None:
    """The customer's primary key; None for an id that is not a Customer's."""
    try:
        return decode_id(global_id, "Customer", None)
    except DomainError:
        return None


async def queue_scores(redis: Any, request: scoring.ScoreRequest) -> bool:
    """Queues the request's job; a CONFLICT if Redis did not take it."""
    queued = await handed_to_redis(
        enqueue_scores(
            redis, request.workspace_id, request.workspace_created_at, request.customer_ids
        ),
        lambda error: log.warning(
            "scores of workspace %s: could not queue the job (%s)",
            request.workspace_id,
            error,
            extra={"workspace_id": request.workspace_id},
        ),
    )
    if not queued:
        raise DomainError.single(None, QUEUE_DOWN, ErrorCode.CONFLICT)
    return True


@strawberry.type
class ScoreMutations:
    @strawberry.mutation(
        description="Queues a recomputation of the given customers' scores, or of the whole "
        f"workspace's (ADMIN or MANAGER). At most {scoring.MAX_CUSTOMER_IDS:,} customers at a "
        "time; an id that is not one of the workspace's customers is NOT_FOUND and nothing is "
        "queued. When the job queue is unavailable, queued is false with a CONFLICT error: "
        "ask again later."
    )
    async def recompute_scores(
        self, info: Info, customer_ids: list[strawberry.ID] | None = None
    ) -> QueuedPayload:
        redis = info.context.request.app.state.redis
        pks = None if customer_ids is None else [_customer_pk(gid) for gid in customer_ids]

        async def queue(viewer: Viewer) -> bool:
            return await queue_scores(redis, await scoring.score_request(viewer, pks))

        return await perform(info, QueuedPayload, queue)
