"""Job functions. Each is idempotent: arq delivers at least once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, cast

from crm.logs import log_context
from crm.queues import created_stamp, enqueue_scores, enqueue_transfer, publish_reminder_sent
from domain.pool_rules import run_pool_rules, workspaces_due
from domain.reminders import CLAIM_BATCH, announce_owed, claim_due_reminders
from domain.scoring import score_customers, score_workspace, workspace_pages
from domain.transfers import run_transfer, unfinished_transfers
from models import CustomerTransfer, Workspace

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


# A large transfer moves its customers batch after batch in one run.
TRANSFER_TIMEOUT = 3600


async def run_customer_transfer(
    ctx: dict[str, Any], transfer_id: int, created: int | None = None
) -> int | None:
    """Runs (or resumes from its checkpoint) a customer transfer; returns how many customers
    changed owner so far. A transfer of another database sharing this Redis is ignored."""
    found = await CustomerTransfer.filter(id=transfer_id).first()
    if found is None or (created is not None and created_stamp(found.created_at) != created):
        log.warning("transfer %s: no such transfer here; job ignored", transfer_id)
        return None
    with log_context(workspace_id=found.workspace_id):
        transfer = await run_transfer(transfer_id)
    return None if transfer is None else transfer.transferred


async def run_pool_rules_everywhere(ctx: dict[str, Any]) -> int:
    """The pool's nightly rules (hourly, so each workspace's day begins on its own clock):
    each workspace's days not run yet, once each; then nudges transfers left unfinished
    (a lost nudge or a worker that died). One workspace's failure leaves the others run."""
    now = datetime.now(UTC)
    days = 0
    for workspace_id in await workspaces_due():
        with log_context(workspace_id=workspace_id):
            try:
                runs = await run_pool_rules(workspace_id, now)
            except Exception:
                log.exception("pool rules of workspace %s failed", workspace_id)
                continue
            for run in runs:
                log.info(
                    "pool rules of %s: %d warned, %d returned", run.day, run.warned, run.returned
                )
            days += len(runs)
    for transfer_id, created_at in await unfinished_transfers():
        await enqueue_transfer(ctx["redis"], transfer_id, created_at)
    return days
