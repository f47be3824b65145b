"""Due reminders pushed to their owners: one Redis subscription per API process, fanned out.

The default worker's dispatcher announces every reminder it sends on one channel
(`crm.queues.REMINDERS_CHANNEL`). Were each `reminderDue` subscriber to hold its own Redis
subscription, every open client would cost a connection and receive every workspace's
announcements. Instead a process subscribes once, while anyone listens, and hands each
announcement only to the subscribers of the user it names; the last one to leave closes
the connection.

An announcement is a routing key and a wake-up, not the data: a subscriber reads the
reminders it is told about from the database, scoped to its own viewer, and yields those
still in the announced sending (`domain.reminders.sent_reminders`). If the connection
fails, its subscribers end with an error rather than wait on a dead channel; clients
subscribe again and fetch what they missed with the `reminders` query.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import Any

from api.core.errors import ClientError
from crm.queues import REDIS_ERRORS, REDIS_TIMEOUT, REMINDERS_CHANNEL, ReminderSent, reminder_sent
from domain.reminders import sent_reminders
from domain.viewer import Viewer
from models import Reminder

log = logging.getLogger("crm.api")


class _Lost:
    """Put in every inbox when the listener's connection fails."""


LOST = _Lost()
Inbox = asyncio.Queue[ReminderSent | _Lost]


def reminders_unavailable() -> ClientError:
    return ClientError("Reminders cannot be followed right now; subscribe again.", "UNAVAILABLE")


class ReminderListener:
    """The process's one subscription to reminder announcements, shared by its subscribers."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis
        self._inboxes: dict[tuple[int, int], set[Inbox]] = {}
        self._task: asyncio.Task[None] | None = None
        # Starting and stopping the connection never interleave.
        self._lock = asyncio.Lock()

    @property
    def listening(self) -> bool:
        return self._task is not None and not self._task.done()

    @asynccontextmanager
    async def inbox(self, workspace_id: int, user_id: int) -> AsyncIterator[Inbox]:
        """The announcements naming the user, from the moment this enters (Redis has
        confirmed the subscription) until it exits."""
        inbox: Inbox = asyncio.Queue()
        key = (workspace_id, user_id)
        async with self._lock:
            if not self.listening:
                await self._start()
            self._inboxes.setdefault(key, set()).add(inbox)
        try:
            yield inbox
        finally:
            # Forgotten at once, even if cancelled again while waiting for the lock.
            self._forget(key, inbox)
            if not self._inboxes:
                async with self._lock:
                    if not self._inboxes:  # nobody came in while we waited
                        await self._stop()

    async def aclose(self) -> None:
        """Stops listening (the app shuts down); subscribers still waiting end with an error."""
        async with self._lock:
            self._fail_all()
            await self._stop()

    async def _start(self) -> None:
        pubsub = self._redis.pubsub()
        try:
            await asyncio.wait_for(_subscribed(pubsub), REDIS_TIMEOUT)
        except REDIS_ERRORS as error:
            await pubsub.aclose()
            log.warning("cannot follow reminders (%s)", type(error).__name__)
            raise reminders_unavailable() from None
        except BaseException:
            await pubsub.aclose()
            raise
        self._task = asyncio.create_task(self._listen(pubsub), name="reminder-listener")

    async def _stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # wait, not await: the task's cancellation must not read as ours.
            await asyncio.wait([task])

    async def _listen(self, pubsub: Any) -> None:
        try:
            await self._relay(pubsub)
        except asyncio.CancelledError:
            # Stopped: nobody is left to tell. Dropping the connection drops the subscription.
            await pubsub.aclose()
            raise
        except REDIS_ERRORS as error:
            log.warning("lost the reminders channel (%s)", type(error).__name__)
        except Exception:
            log.exception("the reminders listener failed")
        with suppress(*REDIS_ERRORS):
            await pubsub.aclose()
        # Last, with no wait after it: whoever came in while the connection was closing is
        # told too, and whoever comes after starts a new one.
        self._fail_all()

    async def _relay(self, pubsub: Any) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is None or message["type"] != "message":
                continue
            sent = reminder_sent(message["data"])
            if sent is None:
                log.warning("ignored a message on %s: no announcement", REMINDERS_CHANNEL)
                continue
            for inbox in self._inboxes.get((sent.workspace_id, sent.user_id), ()):
                inbox.put_nowait(sent)

    def _fail_all(self) -> None:
        """Ends every current subscriber; whoever subscribes next starts a new connection."""
        inboxes, self._inboxes = self._inboxes, {}
        for group in inboxes.values():
            for inbox in group:
                inbox.put_nowait(LOST)

    def _forget(self, key: tuple[int, int], inbox: Inbox) -> None:
        group = self._inboxes.get(key)
        if group is not None:
            group.discard(inbox)
            if not group:
                del self._inboxes[key]


async def _subscribed(pubsub: Any) -> None:
    """Subscribes and waits for Redis to confirm: announcements after that reach us."""
    await pubsub.subscribe(REMINDERS_CHANNEL)
    message = await pubsub.get_message(timeout=None)
    while message is None or message["type"] != "subscribe":
        message = await pubsub.get_message(timeout=None)


async def watch_due_reminders(
    listener: ReminderListener, viewer: Viewer
) -> AsyncGenerator[Reminder, None]:
    """The viewer's own reminders as they are sent, each sending once, until closed.

    Listens before anything else, so nothing announced after the subscription began is
    missed. Reminders sent earlier are not replayed: a client catches up with
    `reminders(filter: {status: SENT})` (sent and not yet dismissed or snoozed). A
    snoozed reminder that comes due again is a new sending, and is yielded again.
    """
    assert viewer.user_id is not None
    # reminder id → the sending last yielded (a few per user and day: kept while it runs)
    yielded: dict[int, datetime | None] = {}
    async with listener.inbox(viewer.workspace_id, viewer.user_id) as inbox:
        while True:
            announced = await _next_sendings(inbox)
            # An announcement repeated (by a retry, or anyone) must not yield twice.
            sendings = {key: at for key, at in announced.items() if yielded.get(key) != at}
            # Afresh: a customer transferred or unshared since stops its pushes.
            for reminder in await sent_reminders(viewer.afresh(), sendings):
                yielded[reminder.id] = reminder.sent_at
                yield reminder


async def _next_sendings(inbox: Inbox) -> dict[int, datetime]:
    """The next announcements (id → sent_at), waiting for one and taking what else waits."""
    sendings: dict[int, datetime] = {}
    item = await inbox.get()
    while True:
        if isinstance(item, _Lost):
            raise reminders_unavailable()
        sendings[item.id] = item.sent_at
        if inbox.empty():
            return sendings
        item = inbox.get_nowait()
