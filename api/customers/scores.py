"""Asking workers to recompute customers' scores (`recomputeScores`).

The resolver checks the request with the domain, then queues one job on the default queue
(`crm.queues.enqueue_scores`); the scores appear on the records once a worker has run it.
Unlike an import, the request leaves no row behind for a sweeper to find, so when Redis
does not take the job the caller is told (`queued: false`, CONFLICT) and may ask again;
the nightly run rescores everything anyway.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import strawberry

from api.context import Info
from api.core.errors import ErrorCode, UserError, errors_field, user_errors
from api.core.ids import decode_id
from crm.queues import REDIS_ERRORS, REDIS_TIMEOUT, enqueue_scores
from domain import scoring
from domain.errors import DomainError

log = logging.getLogger("crm.api.scores")

QUEUE_DOWN = "The scores could not be queued: the job queue is unavailable. Try again shortly."


@strawberry.type
class QueuedPayload:
    queued: bool = strawberry.field(
        description="True once the work is queued; the results appear on the records when "
        "a worker has done it."
    )
    errors: list[UserError] = errors_field()


def _customer_pk(global_id: str) -> int | None:
    """The customer's primary key; None for an id that is not a Customer's."""
    try:
        return decode_id(global_id, "Customer", None)
    except DomainError:
        return None


async def queue_scores(redis: Any, request: scoring.ScoreRequest) -> QueuedPayload:
    """Queues the request's job; a payload with a CONFLICT error if Redis did not take it."""
    try:
        await asyncio.wait_for(
            enqueue_scores(
                redis, request.workspace_id, request.workspace_created_at, request.customer_ids
            ),
            REDIS_TIMEOUT,
        )
    except REDIS_ERRORS as error:
        log.warning(
            "scores of workspace %s: could not queue the job (%s)",
            request.workspace_id,
            type(error).__name__,
            extra={"workspace_id": request.workspace_id},
        )
        return QueuedPayload(
            queued=False,
            errors=[UserError(field=None, message=QUEUE_DOWN, code=ErrorCode.CONFLICT)],
        )
    return QueuedPayload(queued=True, errors=[])


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
        viewer = info.context.require_viewer()
        pks = None if customer_ids is None else [_customer_pk(gid) for gid in customer_ids]
        try:
            request = await scoring.score_request(viewer, pks)
        except DomainError as error:
            return QueuedPayload(queued=False, errors=user_errors(error))
        return await queue_scores(info.context.request.app.state.redis, request)
