"""Job functions. Each is idempotent: arq delivers at least once."""

from __future__ import annotations

import json
import logging
from typing import Any

from domain.reminders import CLAIM_BATCH, DueReminder, claim_due_reminders

log = logging.getLogger("crm.worker")

REMINDERS_CHANNEL = "crm:reminders"


async def dispatch_due_reminders(ctx: dict[str, Any]) -> int:
    """Marks due reminders SENT (each once, across all workers) and announces them on Redis."""
    claimed: list[DueReminder] = []
    while True:
        batch = await claim_due_reminders()
        claimed += batch
        if len(batch) < CLAIM_BATCH:
            break
    for reminder in claimed:
        await ctx["redis"].publish(
            REMINDERS_CHANNEL,
            json.dumps(
                {
                    "id": reminder.id,
                    "workspaceId": reminder.workspace_id,
                    "userId": reminder.user_id,
                    "customerId": reminder.customer_id,
                }
            ),
        )
    if claimed:
        log.info("dispatched %d reminders", len(claimed))
    return len(claimed)
