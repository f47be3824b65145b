"""Job functions. Each is idempotent: arq delivers at least once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, cast

from crm.logs import log_context
from crm.queues import created_stamp, enqueue_scores, publish_reminder_sent
from domain.reminders import CLAIM_BATCH, announce_owed, claim_due_reminders
from domain.scoring import score_customers, score_workspace, workspace_pages
from models import Workspace

log = logging.getLogger("crm.worker")


async def dispatch_due_reminders(ctx: dict[str, Any]) -> int:
    """Marks due reminders SENT (each once, across all workers), then announces on Redis
    every sending still owed an announcement: these, and any an earlier run failed to make."""
    claimed = 0
    while True:
        batch = await claim_due_reminders()
        claimed += len(batch)
        if len(batch) < CLAIM_BATCH:
            break
    announced = await announce_owed(lambda reminder: publish_reminder_sent(ctx["redis"], reminder))
    if claimed or announced:
        log.info("dispatched %d reminders, announced %d", claimed, announced)
    return claimed


# A whole workspace is scored in one run, batch after batch: minutes for a very large one.
SCORES_TIMEOUT = 3600


async def recompute_scores(
    ctx: dict[str, Any],
    workspace_id: int,
    customer_ids: list[int] | None = None,
    created: int | None = None,
) -> int | None:
    """Scores the customers (None: every one of the workspace's) as of the run's start.

    `created` (the workspace's creation instant in microseconds) tells our workspace from
    another database's of the same number sharing this Redis: such a job is ignored.
    """
    # Tortoise types a flat values_list as tuples; it gives the column's value.
    found = cast(
        datetime | None,
        await Workspace.filter(id=workspace_id).first().values_list("created_at", flat=True),
    )
    if found is None or (created is not None and created_stamp(found) != created):
        log.warning("scores of workspace %s: no such workspace here; job ignored", workspace_id)
        return None
    now = datetime.now(UTC)
    with log_context(workspace_id=workspace_id):
        if customer_ids is None:
            scored = await score_workspace(workspace_id, now)
        else:
            scored = await score_customers(workspace_id, customer_ids, now)
        log.info("scored %d customers of workspace %s", scored, workspace_id)
    return scored


async def score_all_workspaces(ctx: dict[str, Any]) -> int:
    """The nightly run: queues a recomputation of every workspace's scores, one job each,
    so workers share them and one workspace's failure leaves the others scored."""
    queued = 0
    async for page in workspace_pages():
        for workspace_id, created_at in page:
            await enqueue_scores(ctx["redis"], workspace_id, created_at)
        queued += len(page)
    log.info("queued the scores of %d workspaces", queued)
    return queued
