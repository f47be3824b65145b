"""One notion of local time through both doors (domain/local_time.py): a time without an
offset is on the viewer's clock (the user's zone, else the workspace's), a date alone is
09:00 there, an offset or Z is kept. The API and an import of the same text store the
same instant, in Shanghai and in New York, across New York's clock changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from arq import ArqRedis

from api.core.ids import from_global_id
from models import Activity, Reminder, User
from tests.documents import document
from tests.factories import create_api_key, create_customer, pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import nudge_of, run_nudge_on_worker, start_import

# A selection the test compares whole.
SNOOZE = """
mutation($id: ID!, $until: DateTime!) {
  snoozeReminder(id: $id, until: $until) { reminder { dueAt } errors { field message code } }
}
"""
SIGN_UP_IN = """
mutation($workspaceName: String!, $email: String!, $timezone: String!) {
  signUp(workspaceName: $workspaceName, name: "Ada", email: $email,
         password: "correct horse battery", timezone: $timezone) {
    token user { id timezone } errors { field message code }
  }
}
"""
CUSTOMERS_DUE = """
query($before: DateTime) {
  customers(first: 10, filter: {followUpDueBefore: $before}) { edges { node { name } } }
}
"""
REMINDERS_DUE = """
query($before: DateTime) {
  reminders(first: 10, filter: {dueBefore: $before}) { edges { node { note } } }
}
"""
REPORT = """
query($from: DateTime, $to: DateTime) { pipelineReport(from: $from, to: $to) { from to } }
"""
LONG_AGO = "2029-01-01T00:00:00Z"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# What a person types, and the instant it names on their clock.
SHANGHAI = [
    ("2030-01-06T10:00:00", utc(2030, 1, 6, 2)),
    ("2030-01-06 10:00", utc(2030, 1, 6, 2)),
    ("2030-01-06", utc(2030, 1, 6, 1)),  # a date alone: 09:00
    ("2030-01-06T10:00:00Z", utc(2030, 1, 6, 10)),  # an offset is kept
    ("2030-01-06T10:00:00-05:00", utc(2030, 1, 6, 15)),
]
NEW_YORK = [
    ("2030-01-06T10:00:00", utc(2030, 1, 6, 15)),  # EST, -05:00
    ("2030-01-06", utc(2030, 1, 6, 14)),
    ("2030-07-06T10:00:00", utc(2030, 7, 6, 14)),  # EDT, -04:00
    ("2030-07-06", utc(2030, 7, 6, 13)),
    # Spring forward: 02:00 to 02:59 are never shown; 02:30 moves forward by the gap
    ("2030-03-10T02:30:00", utc(2030, 3, 10, 7, 30)),
    ("2030-03-10T03:30:00", utc(2030, 3, 10, 7, 30)),
    ("2030-03-10T01:30:00", utc(2030, 3, 10, 6, 30)),
    ("2030-03-10", utc(2030, 3, 10, 13)),  # 09:00 EDT that day
    # Fall back: 01:00 to 01:59 are shown twice; 01:30 is the first (EDT)
    ("2030-11-03T01:30:00", utc(2030, 11, 3, 5, 30)),
    ("2030-11-03T01:30:00-05:00", utc(2030, 11, 3, 6, 30)),  # the second, written so
    ("2030-11-03", utc(2030, 11, 3, 14)),  # 09:00 EST that day
    ("2030-01-06T10:00:00+08:00", utc(2030, 1, 6, 2)),
]


async def sign_up_in(gql: GraphQL, timezone: str) -> Account:
    email = f"tz-{uuid.uuid4().hex[:10]}@example.com"
    variables = {"workspaceName": f"{timezone} 团队", "email": email, "timezone": timezone}
    payload = (await gql.execute(SIGN_UP_IN, variables)).ok()["signUp"]
    assert payload["errors"] == [] and payload["user"]["timezone"] == timezone
    return Account(payload["token"], payload["user"]["id"], email, "correct horse battery")


async def log_follow_up(gql: GraphQL, token: str, customer_id: str, at: str, note: str) -> Any:
    value = {
        "customerId": customer_id,
        "kind": "CALL",
        "content": note,
        "occurredAt": LONG_AGO,
        "nextFollowUpAt": at,
    }
    result = await gql.execute(document("logActivity"), {"input": value}, token)
    payload = result.ok()["logActivity"]
    assert payload["errors"] == [], payload["errors"]
    return payload["activity"]


async def import_follow_ups(
    gql: GraphQL, arq_redis: ArqRedis, queue_name: str, token: str, rows: list[dict[str, str]]
) -> None:
    """Through startImport and a real worker, as clients import."""
    started = await start_import(gql, token, kind="ACTIVITIES", rows=rows)
    assert started["errors"] == [], started["errors"]
    nudge = await nudge_of(arq_redis, pk(started["importJob"]["id"]))
    assert nudge is not None
    worker = await run_nudge_on_worker(arq_redis, nudge, queue_name)
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)


async def stored_follow_ups(customer_id: str) -> dict[str, datetime]:
    activities = await Activity.filter(customer_id=pk(customer_id))
    return {a.content: a.next_follow_up_at for a in activities}


@pytest.mark.parametrize(
    ("timezone", "cases"),
    [("Asia/Shanghai", SHANGHAI), ("America/New_York", NEW_YORK)],
    ids=["Asia/Shanghai", "America/New_York"],
)
async def test_the_api_and_an_import_store_the_same_instant(
    gql: GraphQL,
    arq_redis: ArqRedis,
    queue_name: str,
    timezone: str,
    cases: list[tuple[str, datetime]],
):
    # given
    account = await sign_up_in(gql, timezone)
    customer = await create_customer(gql, account, name="时区客户")

    # when: each text once through logActivity, once through an import
    for number, (text, _) in enumerate(cases):
        await log_follow_up(gql, account.token, customer["id"], text, f"api {number}")
    rows = [
        {
            "customer.name": "时区客户",
            "kind": "电话",
            "occurredAt": LONG_AGO,
            "content": f"import {number}",
            "nextFollowUpAt": text,
        }
        for number, (text, _) in enumerate(cases)
    ]
    await import_follow_ups(gql, arq_redis, queue_name, account.token, rows)

    # then
    stored = await stored_follow_ups(customer["id"])
    through_api = {text: stored[f"api {n}"] for n, (text, _) in enumerate(cases)}
    through_import = {text: stored[f"import {n}"] for n, (text, _) in enumerate(cases)}
    expected = dict(cases)
    assert through_api == expected
    assert through_import == expected


async def test_the_users_clock_goes_before_the_workspaces_and_a_key_has_the_workspaces(
    gql: GraphQL, arq_redis: ArqRedis, queue_name: str
):
    # given: a New York workspace whose admin lives in Shanghai, and the workspace's API key
    admin = await sign_up_in(gql, "America/New_York")
    await User.filter(id=from_global_id(admin.user_id)[1]).update(timezone="Asia/Shanghai")
    # (an ADMIN key: it sees the admin's customer whoever it acts as)
    key = await create_api_key(gql, admin, name="ERP", role="ADMIN")
    customer = await create_customer(gql, admin, name="两地客户")
    row = {"customer.name": "两地客户", "kind": "电话", "occurredAt": LONG_AGO}

    # when: 10:00 without an offset, through each door, by each of them
    await log_follow_up(gql, admin.token, customer["id"], "2030-01-06T10:00:00", "admin api")
    await log_follow_up(gql, key, customer["id"], "2030-01-06T10:00:00", "key api")
    await import_follow_ups(
        gql,
        arq_redis,
        queue_name,
        admin.token,
        [row | {"content": "admin import", "nextFollowUpAt": "2030-01-06 10:00"}],
    )
    await import_follow_ups(
        gql,
        arq_redis,
        queue_name,
        key,
        [row | {"content": "key import", "nextFollowUpAt": "2030-01-06 10:00"}],
    )

    # then: the admin's 10:00 is Shanghai's; the key's is New York's
    assert await stored_follow_ups(customer["id"]) == {
        "admin api": utc(2030, 1, 6, 2),
        "admin import": utc(2030, 1, 6, 2),
        "key api": utc(2030, 1, 6, 15),
        "key import": utc(2030, 1, 6, 15),
    }


async def test_occurred_at_and_snoozing_follow_the_same_rule(gql: GraphQL):
    # given
    account = await sign_up_in(gql, "America/New_York")
    customer = await create_customer(gql, account)
    value = {
        "customerId": customer["id"],
        "kind": "CALL",
        "content": "电话",
        "occurredAt": "2030-03-10T02:30:00",
        "nextFollowUpAt": "2030-03-11",
    }

    # when
    logged = (await gql.execute(document("logActivity"), {"input": value}, account.token)).ok()
    activity = logged["logActivity"]["activity"]
    snoozed = await gql.execute(
        SNOOZE,
        {"id": activity["reminder"]["id"], "until": "2030-11-03T01:30:00"},
        account.token,
    )

    # then: read back with their offset, as every DateTime is returned
    assert activity["occurredAt"] == "2030-03-10T07:30:00+00:00"
    assert activity["nextFollowUpAt"] == "2030-03-11T13:00:00+00:00"
    assert snoozed.ok()["snoozeReminder"] == {
        "reminder": {"dueAt": "2030-11-03T05:30:00+00:00"},
        "errors": [],
    }


async def test_filters_read_their_bounds_on_the_viewers_clock(gql: GraphQL):
    # given: follow-ups at 09:30 and 10:30 in New York on 2030-01-06 (14:30Z, 15:30Z)
    account = await sign_up_in(gql, "America/New_York")
    early = await create_customer(gql, account, name="早")
    late = await create_customer(gql, account, name="晚")
    await log_follow_up(gql, account.token, early["id"], "2030-01-06T14:30:00Z", "九点半")
    await log_follow_up(gql, account.token, late["id"], "2030-01-06T15:30:00Z", "十点半")

    async def names(query: str, before: str, connection: str, field: str) -> list[str]:
        result = await gql.execute(query, {"before": before}, account.token)
        return sorted(edge["node"][field] for edge in result.ok()[connection]["edges"])

    # when / then: 10:00 and a date alone (09:00) are New York's
    assert await names(CUSTOMERS_DUE, "2030-01-06T10:00:00", "customers", "name") == ["早"]
    assert await names(CUSTOMERS_DUE, "2030-01-06T10:00:00Z", "customers", "name") == []
    literal = (
        '{ customers(first: 10, filter: {followUpDueBefore: "2030-01-06T10:00"}) { totalCount } }'
    )
    assert (await gql.execute(literal, token=account.token)).ok()["customers"]["totalCount"] == 1
    assert await names(REMINDERS_DUE, "2030-01-06T10:00:00", "reminders", "note") == ["九点半"]
    assert await names(REMINDERS_DUE, "2030-01-06", "reminders", "note") == []
    assert await names(REMINDERS_DUE, "2030-01-06T11:00:00", "reminders", "note") == [
        "九点半",
        "十点半",
    ]
    report = await gql.execute(
        REPORT, {"from": "2030-03-10T02:30:00", "to": "2030-11-03"}, account.token
    )
    assert report.ok()["pipelineReport"] == {
        "from": "2030-03-10T07:30:00+00:00",
        "to": "2030-11-03T14:00:00+00:00",
    }


async def test_a_reminder_is_due_where_its_owner_lives(gql: GraphQL):
    # given / when: a follow-up on a date alone, logged from Shanghai
    account = await sign_up_in(gql, "Asia/Shanghai")
    customer = await create_customer(gql, account)
    activity = await log_follow_up(gql, account.token, customer["id"], "2030-01-07", "周一")

    # then: due at 09:00 in Shanghai
    reminder = await Reminder.get(activity_id=pk(activity["id"]))
    assert reminder.due_at == utc(2030, 1, 7, 1)
