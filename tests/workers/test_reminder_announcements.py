"""Announcing sent reminders is an outbox: an announcement Redis did not take is made later."""

import importlib
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from arq import ArqRedis, create_pool
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisUnavailable
from tortoise import connections

from crm.queues import REMINDERS_CHANNEL
from models import Reminder
from models.enums import ReminderStatus
from tests.factories import create_customer, log_activity, pk
from tests.helpers import GraphQL
from tests.ops.processes import free_port
from workers.jobs import dispatch_due_reminders
from workers.settings import redis_settings

migration = importlib.import_module("models.migrations.0009_reminder_announced_at")


async def _due_reminder(gql: GraphQL) -> int:
    """A follow-up reminder of a new workspace, due five minutes ago."""
    account = await gql.sign_up()
    customer = await create_customer(gql, account)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    activity = await log_activity(gql, account, customer["id"], nextFollowUpAt=later)
    reminder_id = pk(activity["reminder"]["id"])
    await Reminder.filter(id=reminder_id).update(due_at=datetime.now(UTC) - timedelta(minutes=5))
    return reminder_id


async def _announced_while(arq_redis: ArqRedis, reminder_id: int) -> int:
    """How many times a dispatcher run (with a working Redis) announces the reminder."""
    listener = await create_pool(redis_settings())
    announcements = listener.pubsub()
    await announcements.subscribe(REMINDERS_CHANNEL)
    try:
        await dispatch_due_reminders({"redis": arq_redis})
        seen = 0
        for _ in range(20):  # a subscribe confirmation reads as None too: read until quiet
            message = await announcements.get_message(ignore_subscribe_messages=True, timeout=0.05)
            if message is not None and json.loads(message["data"])["id"] == reminder_id:
                seen += 1
        return seen
    finally:
        await announcements.aclose()
        await listener.aclose()


async def test_an_announcement_redis_did_not_take_is_made_by_the_next_run(
    gql: GraphQL, arq_redis: ArqRedis
):
    # given: the dispatcher claims a due reminder while its Redis is gone
    reminder_id = await _due_reminder(gql)
    unreachable = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    try:
        with pytest.raises(RedisUnavailable):
            await dispatch_due_reminders({"redis": unreachable})
    finally:
        await unreachable.aclose()
    claimed = await Reminder.get(id=reminder_id)
    assert (claimed.status, claimed.announced_at) == (ReminderStatus.SENT, None)

    # when: the next run has its Redis back, and the one after it
    first = await _announced_while(arq_redis, reminder_id)
    second = await _announced_while(arq_redis, reminder_id)

    # then: announced once, by the first of them, and marked so
    assert (first, second) == (1, 0)
    assert (await Reminder.get(id=reminder_id)).announced_at is not None


async def test_an_announcement_owed_for_over_an_hour_is_dropped(gql: GraphQL, arq_redis: ArqRedis):
    # given: a reminder sent two hours ago whose announcement never went out
    reminder_id = await _due_reminder(gql)
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    await Reminder.filter(id=reminder_id).update(
        status=ReminderStatus.SENT, sent_at=two_hours_ago, announced_at=None
    )

    # when / then: no push that late (the reminders query still lists it)
    assert await _announced_while(arq_redis, reminder_id) == 0
    assert (await Reminder.get(id=reminder_id)).announced_at is None


async def test_reminders_sent_before_the_outbox_owe_no_announcement(gql: GraphQL):
    # given: a reminder sent before migration 0009 (no announced_at then)
    reminder_id = await _due_reminder(gql)
    sent_at = datetime.now(UTC) - timedelta(minutes=1)
    await Reminder.filter(id=reminder_id).update(
        status=ReminderStatus.SENT, sent_at=sent_at, announced_at=None
    )

    # when
    editor = SimpleNamespace(client=connections.get("default"))
    await migration.mark_past_sendings_announced(None, editor)

    # then
    assert (await Reminder.get(id=reminder_id)).announced_at == sent_at
