"""reminderDue over a real WebSocket (graphql-transport-ws), fed by the real dispatcher."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from arq import ArqRedis
from websockets.asyncio.client import ClientConnection

from crm.queues import REMINDERS_CHANNEL
from models import Reminder
from models.enums import ReminderStatus
from tests.factories import (
    create_api_key,
    create_customer,
    invite,
    log_activity,
    mutate_ok,
    pk,
    workspace_pk,
)
from tests.helpers import Account, GraphQL
from tests.subscriptions import receive, signed_in_socket, subscribe, until_complete
from workers.jobs import dispatch_due_reminders

# Selections these tests compare whole.
DISMISS_REMINDER = """
mutation($id: ID!) { dismissReminder(id: $id) { reminder { status } errors { code } } }
"""
SNOOZE_REMINDER = """
mutation($id: ID!, $until: DateTime!) {
  snoozeReminder(id: $id, until: $until) { reminder { status } errors { code } }
}
"""
REMINDER_DUE = """
subscription { reminderDue { id status dueAt sentAt user { id } customer { id name } } }
"""
RENAME_CUSTOMER = """
mutation($id: ID!, $name: String!) {
  updateCustomer(id: $id, input: {name: $name}) { customer { name } errors { code } }
}
"""
TIMEOUT = 10  # seconds a Redis wait may take


async def _subscribe(ws: ClientConnection) -> str:
    return await subscribe(ws, REMINDER_DUE)


async def _next_reminder(ws: ClientConnection, operation: str) -> dict[str, Any]:
    message = await receive(ws)
    assert (message["id"], message["type"]) == (operation, "next"), message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["reminderDue"]


async def _listeners(arq_redis: ArqRedis) -> int:
    [(_, count)] = await arq_redis.pubsub_numsub(REMINDERS_CHANNEL)
    return count


async def _wait_for_listeners(arq_redis: ArqRedis, count: int) -> None:
    """Until the API holds `count` subscriptions to the channel (one while anyone listens)."""
    for _ in range(200):
        if await _listeners(arq_redis) == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} subscriptions to {REMINDERS_CHANNEL}")


async def _due_reminder(gql: GraphQL, account: Account, customer_id: str | None = None) -> str:
    """A follow-up for `account`, made due a moment ago; returns its global id."""
    if customer_id is None:
        customer_id = (await create_customer(gql, account))["id"]
    planned = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    activity = await log_activity(gql, account, customer_id, nextFollowUpAt=planned)
    reminder_id = activity["reminder"]["id"]
    await _make_due(reminder_id)
    return reminder_id


async def _make_due(reminder_id: str) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    await Reminder.filter(id=pk(reminder_id)).update(due_at=past)


async def _dispatch(arq_redis: ArqRedis) -> None:
    """The default worker's job function, as its cron runs it."""
    await dispatch_due_reminders({"redis": arq_redis})


async def _dispatch_and_capture(arq_redis: ArqRedis, reminder_id: str) -> str:
    """Dispatches while nobody but the test listens; returns the reminder's announcement."""
    pubsub = arq_redis.pubsub()
    await pubsub.subscribe(REMINDERS_CHANNEL)
    assert (await pubsub.get_message(timeout=TIMEOUT))["type"] == "subscribe"
    await _dispatch(arq_redis)
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=TIMEOUT)
        assert message is not None, "the reminder was not announced"
        if json.loads(message["data"])["id"] == pk(reminder_id):
            break
    await pubsub.aclose()
    await _wait_for_listeners(arq_redis, 0)
    return message["data"].decode()


def _announcement(reminder: Reminder, *, workspace: int, user: int) -> str:
    """An announcement of the reminder's sending, addressed to whoever the caller says."""
    message = {
        "id": reminder.id,
        "workspaceId": workspace,
        "userId": user,
        "customerId": reminder.customer_id,
        "sentAt": reminder.sent_at.isoformat(),
    }
    return json.dumps(message)


async def test_a_due_reminder_arrives_once(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis, queue_name: str, run_worker
):
    # given: a rep listening, and a follow-up of theirs that came due (after an earlier
    # one that was sent before they listened)
    rep = await invite(gql, workspace, "REP")
    await _due_reminder(gql, rep)
    await _dispatch(arq_redis)
    reminder_id = await _due_reminder(gql, rep)
    async with signed_in_socket(server, rep.token) as ws:
        operation = await _subscribe(ws)
        await _wait_for_listeners(arq_redis, 1)

        # when: the cron job runs on a real worker, twice (arq delivers at least once)
        await arq_redis.enqueue_job("dispatch_due_reminders", _queue_name=queue_name)
        await arq_redis.enqueue_job("dispatch_due_reminders", _queue_name=queue_name)
        worker = await run_worker()
        arrived = await _next_reminder(ws, operation)

        # then: the reminder as the database has it, sent; the earlier one is not replayed
        assert (worker.jobs_complete, worker.jobs_failed) == (2, 0)
        sent = await Reminder.get(id=pk(reminder_id))
        assert arrived["id"] == reminder_id
        assert arrived["status"] == "SENT"
        assert datetime.fromisoformat(arrived["sentAt"]) == sent.sent_at
        assert arrived["user"]["id"] == rep.user_id
        assert arrived["customer"]["id"] is not None

        # and when the job runs again and another reminder comes due, only that one arrives
        await _dispatch(arq_redis)
        later_id = await _due_reminder(gql, rep)
        await _dispatch(arq_redis)
        assert (await _next_reminder(ws, operation))["id"] == later_id

    # and the server let go of the channel when the socket closed
    await _wait_for_listeners(arq_redis, 0)


async def test_each_reminder_shows_its_customer_as_it_is_then(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given: a subscriber who got a reminder about a customer
    customer_id = (await create_customer(gql, workspace, name="旧名字"))["id"]
    async with signed_in_socket(server, workspace.token) as ws:
        operation = await _subscribe(ws)
        await _wait_for_listeners(arq_redis, 1)
        await _due_reminder(gql, workspace, customer_id)
        await _dispatch(arq_redis)
        first = await _next_reminder(ws, operation)

        # when: the customer is renamed before the next reminder about them
        renamed = await gql.execute(
            RENAME_CUSTOMER, {"id": customer_id, "name": "新名字"}, workspace.token
        )
        assert renamed.ok()["updateCustomer"]["errors"] == []
        await _due_reminder(gql, workspace, customer_id)
        await _dispatch(arq_redis)
        second = await _next_reminder(ws, operation)

    # then: the subscription's long life keeps no stale copy
    assert first["customer"] == {"id": customer_id, "name": "旧名字"}
    assert second["customer"] == {"id": customer_id, "name": "新名字"}
    await _wait_for_listeners(arq_redis, 0)


async def test_a_colleagues_reminder_does_not_arrive(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given: the admin listens (they may read the team's reminders, but this is their own feed)
    rep = await invite(gql, workspace, "REP")
    reps_id = await _due_reminder(gql, rep)
    async with signed_in_socket(server, workspace.token) as ws:
        operation = await _subscribe(ws)
        await _wait_for_listeners(arq_redis, 1)

        # when: the rep's reminder is sent, a message names it as the admin's (a forgery),
        # then one of the admin's is sent
        await _dispatch(arq_redis)
        reps = await Reminder.get(id=pk(reps_id))
        await arq_redis.publish(
            REMINDERS_CHANNEL,
            _announcement(reps, workspace=reps.workspace_id, user=pk(workspace.user_id)),
        )
        own_id = await _due_reminder(gql, workspace)
        await _dispatch(arq_redis)

        # then: the admin's arrives first; the rep's never did, though it was sent
        assert reps.status == ReminderStatus.SENT
        assert (await _next_reminder(ws, operation))["id"] == own_id
    await _wait_for_listeners(arq_redis, 0)


async def test_another_workspaces_reminder_does_not_arrive_even_when_addressed_to_the_viewer(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given: a reminder of another workspace, sent
    stranger = await gql.sign_up()
    strangers_id = await _due_reminder(gql, stranger)
    async with signed_in_socket(server, workspace.token) as ws:
        operation = await _subscribe(ws)
        await _wait_for_listeners(arq_redis, 1)
        await _dispatch(arq_redis)
        strangers = await Reminder.get(id=pk(strangers_id))
        assert strangers.status == ReminderStatus.SENT

        # when: a message names it as the viewer's (a forgery, or another database's)
        forged = _announcement(
            strangers, workspace=await workspace_pk(workspace), user=pk(workspace.user_id)
        )
        await arq_redis.publish(REMINDERS_CHANNEL, forged)
        await arq_redis.publish(REMINDERS_CHANNEL, "not an announcement")
        own_id = await _due_reminder(gql, workspace)
        await _dispatch(arq_redis)

        # then: only the viewer's own arrives
        assert (await _next_reminder(ws, operation))["id"] == own_id
    await _wait_for_listeners(arq_redis, 0)


async def test_a_dismissed_reminders_stale_announcement_yields_nothing(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given: a reminder sent while nobody listened, then dismissed
    dismissed_id = await _due_reminder(gql, workspace)
    announcement = await _dispatch_and_capture(arq_redis, dismissed_id)
    result = await gql.execute(DISMISS_REMINDER, {"id": dismissed_id}, workspace.token)
    assert result.ok()["dismissReminder"] == {"reminder": {"status": "DISMISSED"}, "errors": []}

    async with signed_in_socket(server, workspace.token) as ws:
        operation = await _subscribe(ws)
        await _wait_for_listeners(arq_redis, 1)

        # when: its announcement comes (late, or again), then another reminder is sent
        await arq_redis.publish(REMINDERS_CHANNEL, announcement)
        own_id = await _due_reminder(gql, workspace)
        await _dispatch(arq_redis)

        # then
        assert (await _next_reminder(ws, operation))["id"] == own_id
    await _wait_for_listeners(arq_redis, 0)


async def test_a_snoozed_reminder_arrives_again_only_for_its_new_sending(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given: a reminder sent while nobody listened, then snoozed
    snoozed_id = await _due_reminder(gql, workspace)
    first_sending = await _dispatch_and_capture(arq_redis, snoozed_id)
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    result = await gql.execute(SNOOZE_REMINDER, {"id": snoozed_id, "until": until}, workspace.token)
    assert result.ok()["snoozeReminder"] == {"reminder": {"status": "PENDING"}, "errors": []}

    async with signed_in_socket(server, workspace.token) as ws:
        operation = await _subscribe(ws)
        await _wait_for_listeners(arq_redis, 1)

        # when: the old announcement comes while it is pending, then it comes due again
        await arq_redis.publish(REMINDERS_CHANNEL, first_sending)
        await _make_due(snoozed_id)
        await _dispatch(arq_redis)
        again = await _next_reminder(ws, operation)

        # and the old announcement comes once more, before another reminder is sent
        await arq_redis.publish(REMINDERS_CHANNEL, first_sending)
        own_id = await _due_reminder(gql, workspace)
        await _dispatch(arq_redis)
        after = await _next_reminder(ws, operation)

    # then: the new sending once, nothing for the old one
    assert again["id"] == snoozed_id
    resent = await Reminder.get(id=pk(snoozed_id))
    assert datetime.fromisoformat(again["sentAt"]) == resent.sent_at
    assert json.loads(first_sending)["sentAt"] != resent.sent_at.isoformat()
    assert after["id"] == own_id
    await _wait_for_listeners(arq_redis, 0)


async def test_two_sockets_of_one_user_share_one_redis_subscription(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given: the same user in two tabs; each one's readiness shown by an announcement of a
    # reminder already sent, repeated until the second tab has it (the first gets it once)
    probe_id = await _due_reminder(gql, workspace)
    probe = await _dispatch_and_capture(arq_redis, probe_id)
    async with (
        signed_in_socket(server, workspace.token) as first,
        signed_in_socket(server, workspace.token) as second,
    ):
        first_operation = await _subscribe(first)
        await _wait_for_listeners(arq_redis, 1)
        await arq_redis.publish(REMINDERS_CHANNEL, probe)
        assert (await _next_reminder(first, first_operation))["id"] == probe_id
        second_operation = await _subscribe(second)
        while True:
            await arq_redis.publish(REMINDERS_CHANNEL, probe)
            try:
                probed = json.loads(await asyncio.wait_for(second.recv(), 0.1))
            except TimeoutError:
                continue
            break
        assert probed["payload"]["data"]["reminderDue"]["id"] == probe_id

        # when
        reminder_id = await _due_reminder(gql, workspace)
        await _dispatch(arq_redis)

        # then: one connection to Redis for both; each tab gets the reminder
        assert await _listeners(arq_redis) == 1
        assert (await _next_reminder(first, first_operation))["id"] == reminder_id
        assert (await _next_reminder(second, second_operation))["id"] == reminder_id

        # and when one tab closes, the other still holds the subscription
        await second.close()
        await asyncio.sleep(0.2)
        assert await _listeners(arq_redis) == 1

    # and when the last one closes, the connection is closed
    await _wait_for_listeners(arq_redis, 0)


async def test_a_lost_redis_connection_ends_the_subscription_with_an_error(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given: a subscriber, and the API's connection to the channel
    before = {client["id"] for client in await arq_redis.client_list(_type="pubsub")}
    async with signed_in_socket(server, workspace.token) as ws:
        operation = await _subscribe(ws)
        await _wait_for_listeners(arq_redis, 1)
        [listener] = [
            c for c in await arq_redis.client_list(_type="pubsub") if c["id"] not in before
        ]

        # when: Redis drops it
        await arq_redis.client_kill_filter(_id=listener["id"])
        messages = await until_complete(ws, operation)

        # then: an error the client can act on (subscribe again), and the end
        assert [m["type"] for m in messages] == ["next", "complete"]
        assert messages[0]["payload"]["data"] is None
        codes = [error["extensions"]["code"] for error in messages[0]["payload"]["errors"]]
        assert codes == ["UNAVAILABLE"]

        # and subscribing again works, on a new connection
        await _wait_for_listeners(arq_redis, 0)
        operation = await _subscribe(ws)
        await _wait_for_listeners(arq_redis, 1)
        reminder_id = await _due_reminder(gql, workspace)
        await _dispatch(arq_redis)
        assert (await _next_reminder(ws, operation))["id"] == reminder_id
    await _wait_for_listeners(arq_redis, 0)


async def test_without_a_token_the_subscription_is_refused(server: str, arq_redis: ArqRedis):
    async with signed_in_socket(server, None) as ws:
        # when
        messages = await until_complete(ws, await _subscribe(ws))

    # then: an error, no data, and nothing listened
    assert [m["type"] for m in messages] == ["next", "complete"]
    assert messages[0]["payload"]["data"] is None
    codes = [error["extensions"]["code"] for error in messages[0]["payload"]["errors"]]
    assert codes == ["UNAUTHENTICATED"]
    assert await _listeners(arq_redis) == 0


async def test_a_key_acting_as_the_workspace_has_no_reminders_to_follow(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given
    key = await create_api_key(gql, workspace, name="ws", role="ADMIN", actsAsWorkspace=True)

    async with signed_in_socket(server, key) as ws:
        # when
        messages = await until_complete(ws, await _subscribe(ws))

    # then
    assert [m["type"] for m in messages] == ["next", "complete"]
    assert messages[0]["payload"]["data"] is None
    codes = [error["extensions"]["code"] for error in messages[0]["payload"]["errors"]]
    assert codes == ["NO_USER"]
    assert await _listeners(arq_redis) == 0


async def test_a_session_that_logged_out_is_told_nothing_more(
    gql: GraphQL, server: str, workspace: Account, arq_redis: ArqRedis
):
    # given: a rep listening on a socket signed in with their session
    rep = await invite(gql, workspace, "REP")
    reminder_id = await _due_reminder(gql, rep)
    async with signed_in_socket(server, rep.token) as ws:
        operation = await _subscribe(ws)
        await _wait_for_listeners(arq_redis, 1)

        # when: the session logs out elsewhere, then the reminder comes due
        await mutate_ok(gql, rep, "logout")
        await _dispatch(arq_redis)
        messages = await until_complete(ws, operation)

    # then: the subscription ends with the token's refusal, not the reminder
    assert [m["type"] for m in messages] == ["next", "complete"]
    assert messages[0]["payload"]["data"] is None
    [error] = messages[0]["payload"]["errors"]
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "UNAUTHENTICATED",
        "REVOKED",
    )
    assert reminder_id not in json.dumps(messages)
