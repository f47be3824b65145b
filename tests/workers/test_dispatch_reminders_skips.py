"""The dispatcher sends only what is due and still pending."""

import json
from datetime import UTC, datetime, timedelta

from arq import ArqRedis, create_pool

from crm.queues import REMINDERS_CHANNEL
from models import Reminder
from models.enums import ReminderStatus
from tests.documents import document
from tests.factories import create_customer, log_activity, pk
from tests.helpers import GraphQL
from workers.settings import redis_settings


async def test_not_yet_due_stays_pending_and_dismissed_is_never_sent(
    gql: GraphQL, arq_redis: ArqRedis, queue_name: str, run_worker
):
    # given: three follow-ups; one made due, one not yet due, one dismissed and then overdue
    account = await gql.sign_up()
    now = datetime.now(UTC)
    reminders = {}
    for label in ("due", "later", "dismissed"):
        customer = await create_customer(gql, account)
        activity = await log_activity(
            gql, account, customer["id"], nextFollowUpAt=(now + timedelta(hours=1)).isoformat()
        )
        reminders[label] = pk(activity["reminder"]["id"])
    dismissed = await gql.execute(
        document("dismissReminder"), {"id": activity["reminder"]["id"]}, account.token
    )
    assert dismissed.ok()["dismissReminder"]["reminder"]["status"] == "DISMISSED"
    overdue = now - timedelta(minutes=5)
    await Reminder.filter(id__in=[reminders["due"], reminders["dismissed"]]).update(due_at=overdue)

    # a connection of its own: the worker closes the pool it was given when it stops
    listener = await create_pool(redis_settings())
    announcements = listener.pubsub()
    await announcements.subscribe(REMINDERS_CHANNEL)

    # when
    await arq_redis.enqueue_job("dispatch_due_reminders", _queue_name=queue_name)
    worker = await run_worker()

    announced = []
    for _ in range(20):  # a subscribe confirmation reads as None too: read until quiet
        message = await announcements.get_message(ignore_subscribe_messages=True, timeout=0.05)
        if message is not None:
            announced.append(json.loads(message["data"]))
    await announcements.aclose()
    await listener.aclose()

    # then: the worker ran and sent the due one (so it did look) but nothing else
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    due = await Reminder.get(id=reminders["due"])
    assert due.status == ReminderStatus.SENT
    later = await Reminder.get(id=reminders["later"])
    assert (later.status, later.sent_at) == (ReminderStatus.PENDING, None)
    never = await Reminder.get(id=reminders["dismissed"])
    assert (never.status, never.sent_at) == (ReminderStatus.DISMISSED, None)
    ours = [m["id"] for m in announced if m["workspaceId"] == due.workspace_id]
    assert ours == [reminders["due"]]
