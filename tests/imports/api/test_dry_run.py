"""A dry run, as a client tries a file first: the same counts, matches and row errors as the
real run that follows, and not one record written meanwhile."""

from __future__ import annotations

from typing import Any

from arq import ArqRedis

from domain.customers import CustomerData, create_customer
from models import Activity, Contact, Customer, Reminder
from tests.factories import pk, viewer_of
from tests.helpers import Account, GraphQL
from tests.imports.api.support import JOB_FIELDS, nudge_of, run_nudge_on_worker

START = """
mutation Start($input: StartImportInput!) {
  startImport(input: $input) {
    importJob { id }
    errors { field message code }
  }
}
"""
JOB = f"""
query Job($id: ID!) {{
  importJob(id: $id) {{
    {JOB_FIELDS} dryRun matchedBy {{ key rows }}
    errors(first: 50) {{ edges {{ node {{ row field message code }} }} }}
  }}
}}
"""

CUSTOMER_ROWS = [
    {"客户名称": "丙公司", "外部编号": "C-1", "电话": "13900000003"},
    # another external id with the same phone: not the first row's customer renumbered
    {"客户名称": "丁公司", "外部编号": "C-2", "电话": "139 0000 0003"},
    # 甲 by its external id
    {"外部编号": "A-1", "行业": "软件"},
    # an unknown external id whose phone is 甲's, who has another one
    {"外部编号": "N-1", "电话": "13900000001"},
    # 乙 by its phone: it has no external id yet, and takes this one
    {"外部编号": "B-1", "电话": "13900000002", "行业": "制造"},
    # 丙 again, adding a contact
    {"外部编号": "C-1", "联系人": "李娜"},
    # 丙 again, contradicting the first row
    {"客户名称": "丙物流", "外部编号": "C-1"},
    {"客户名称": "戊公司", "电话": "call me"},
]


async def _start(gql: GraphQL, token: str, **input: Any) -> dict[str, Any]:
    return (await gql.execute(START, {"input": input}, token)).ok()["startImport"]


async def _run(
    arq_redis: ArqRedis, gql: GraphQL, token: str, queue_name: str, **input: Any
) -> dict[str, Any]:
    started = await _start(gql, token, **input)
    assert started["errors"] == [], started["errors"]
    job_id = started["importJob"]["id"]
    nudge = await nudge_of(arq_redis, pk(job_id))
    assert nudge is not None, "the API queued no nudge"
    worker = await run_nudge_on_worker(arq_redis, nudge, queue_name)
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    return (await gql.execute(JOB, {"id": job_id}, token)).ok()["importJob"]


def _outcome(job: dict[str, Any]) -> tuple[Any, ...]:
    errors = [
        (e["node"]["row"], e["node"]["field"], e["node"]["code"], e["node"]["message"])
        for e in job["errors"]["edges"]
    ]
    counts = ("createdCount", "updatedCount", "skippedCount", "failedCount", "processedRows")
    return (job["status"], *(job[name] for name in counts), job["matchedBy"], errors)


async def _snapshot(workspace_id: int) -> list[Any]:
    """Every record an import may write, as stored."""
    found: list[Any] = []
    for model in (Customer, Contact, Activity, Reminder):
        rows = await model.filter(workspace_id=workspace_id).order_by("id").values()
        found.append([{k: v for k, v in row.items()} for row in rows])
    return found


async def test_a_dry_run_reports_what_the_real_run_then_does_and_writes_nothing(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str
):
    # given
    viewer = await viewer_of(workspace)
    await create_customer(
        viewer, CustomerData(name="甲公司", external_id="A-1", phone="13900000001")
    )
    await create_customer(viewer, CustomerData(name="乙公司", phone="13900000002"))
    before = await _snapshot(viewer.workspace_id)

    # when: the file is tried first
    dry = await _run(
        arq_redis,
        gql,
        workspace.token,
        queue_name,
        kind="CUSTOMERS",
        rows=CUSTOMER_ROWS,
        dryRun=True,
    )

    # then: it says what a run would do, and nothing was written
    assert dry["dryRun"] is True
    assert await _snapshot(viewer.workspace_id) == before
    status, created, updated, skipped, failed, processed, matched, errors = _outcome(dry)
    assert (status, created, updated, skipped, failed, processed) == ("COMPLETED", 1, 3, 0, 4, 8)
    assert matched == [{"key": "externalId", "rows": 2}, {"key": "phone", "rows": 1}]
    assert [error[:3] for error in errors] == [
        (2, "externalId", "CONFLICT"),
        (4, "externalId", "CONFLICT"),
        (7, "name", "CONFLICT"),
        (8, "phone", "INVALID"),
    ]
    assert "“丙公司” (external id “C-1”, created by row 1)" in errors[0][3]
    assert "“甲公司” (external id “A-1”)" in errors[1][3]

    # when: the real run
    real = await _run(
        arq_redis, gql, workspace.token, queue_name, kind="CUSTOMERS", rows=CUSTOMER_ROWS
    )

    # then: the same counts, matches and row errors, and now the records
    assert real["dryRun"] is False
    assert _outcome(real) == _outcome(dry)
    stored = Customer.filter(workspace_id=viewer.workspace_id).order_by("id")
    assert [(c.name, c.external_id, c.industry) for c in await stored] == [
        ("甲公司", "A-1", "软件"),
        ("乙公司", "B-1", "制造"),
        ("丙公司", "C-1", None),
    ]
    assert await Contact.filter(workspace_id=viewer.workspace_id).count() == 1


async def test_a_dry_run_of_activities_schedules_no_reminder(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str
):
    # given
    viewer = await viewer_of(workspace)
    await create_customer(viewer, CustomerData(name="甲公司", external_id="A-1"))
    rows = [
        {
            "customer.externalId": "A-1",
            "occurredAt": "2026-03-05 10:00",
            "content": "初次拜访",
            "nextFollowUpAt": "2026-03-12",
        }
    ]
    before = await _snapshot(viewer.workspace_id)

    # when
    dry = await _run(
        arq_redis, gql, workspace.token, queue_name, kind="ACTIVITIES", rows=rows, dryRun=True
    )

    # then: no activity, no reminder, no customer's follow-up moved
    assert await _snapshot(viewer.workspace_id) == before
    real = await _run(arq_redis, gql, workspace.token, queue_name, kind="ACTIVITIES", rows=rows)
    assert _outcome(real) == _outcome(dry)
    assert _outcome(dry)[:5] == ("COMPLETED", 1, 0, 0, 0)
    assert await Reminder.filter(workspace_id=viewer.workspace_id).count() == 1


async def test_an_idempotency_key_belongs_to_a_dry_run_or_a_real_one(
    gql: GraphQL, workspace: Account
):
    # given
    rows = [{"name": "甲公司"}]
    first = await _start(
        gql, workspace.token, kind="CUSTOMERS", rows=rows, dryRun=True, idempotencyKey="k-1"
    )
    assert first["errors"] == []

    # when: the real run is sent with the dry run's key
    real = await _start(gql, workspace.token, kind="CUSTOMERS", rows=rows, idempotencyKey="k-1")

    # then: it is not answered with the dry run
    assert real["importJob"] is None
    assert [(e["field"], e["code"]) for e in real["errors"]] == [
        ("input.idempotencyKey", "CONFLICT")
    ]
