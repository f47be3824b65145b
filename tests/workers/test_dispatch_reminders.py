"""Due reminders are marked SENT by a real arq worker, each exactly once."""

from datetime import UTC, datetime, timedelta

from arq import ArqRedis

from models import Reminder
from models.enums import ReminderStatus
from tests.documents import document
from tests.factories import create_customer
from tests.helpers import GraphQL


async def test_due_reminder_is_sent_once(
    gql: GraphQL, arq_redis: ArqRedis, queue_name: str, run_worker
):
    # given: a follow-up logged for a few seconds from now, then made due
    account = await gql.sign_up()
    customer_id = (await create_customer(gql, account, name="提醒客户"))["id"]
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    result = await gql.execute(
        document("logActivity"),
        {
            "input": {
                "customerId": customer_id,
                "kind": "CALL",
                "content": "call",
                "nextFollowUpAt": soon,
            }
        },
        account.token,
    )
    activity = result.ok()["logActivity"]["activity"]
    reminder = await Reminder.get(activity_id=int(_pk(activity["id"])))
    await Reminder.filter(id=reminder.id).update(due_at=datetime.now(UTC) - timedelta(seconds=1))

    # when: the job is enqueued twice (arq delivers at least once) and a worker runs
    first = await arq_redis.enqueue_job("dispatch_due_reminders", _queue_name=queue_name)
    second = await arq_redis.enqueue_job("dispatch_due_reminders", _queue_name=queue_name)
    worker = await run_worker()

    # then
    assert worker.jobs_complete == 2
    assert worker.jobs_failed == 0
    assert await first.result() + await second.result() >= 1
    sent = await Reminder.get(id=reminder.id)
    assert sent.status == ReminderStatus.SENT
    assert sent.sent_at is not None

    # and when the job runs again, nothing about this reminder changes
    await arq_redis.enqueue_job("dispatch_due_reminders", _queue_name=queue_name)
    await run_worker()
    again = await Reminder.get(id=reminder.id)
    assert (again.status, again.sent_at) == (sent.status, sent.sent_at)


def _pk(global_id: str) -> str:
    from api.core.ids import from_global_id

    return str(from_global_id(global_id)[1])
