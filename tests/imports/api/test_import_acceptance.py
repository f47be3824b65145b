"""The import feature as its users meet it: files and rows sent through the API, run by a real
arq worker on the real Redis, the outcome read back through the graph."""

from __future__ import annotations

import io
from typing import Any

import httpx
import openpyxl
from arq import ArqRedis

from models import Reminder
from models.enums import ReminderStatus
from tests.factories import pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import (
    IMPORT_JOB,
    nudge_of,
    payload_of,
    run_nudge_on_worker,
    start_import,
    upload,
)

# As a colleague's Excel saves "CSV" on a Chinese Windows: GB18030, Chinese headers, and
# two rows a person got wrong (rows 2 and 4 of the data).
CUSTOMERS_CSV = (
    "客户名称,电话,邮箱,类型,线索来源,联系人,联系人电话,标签\n"
    "上海云帆科技有限公司,021-6888 1234,info@yunfan.cn,企业,展会,李娜,139-1122-3344,重点客户\n"
    "坏电话公司,call me,,企业,,,,\n"
    "王小明,+86 137 0000 2222,wxm@example.com,个人,转介绍,,,老客户、VIP\n"
    ",13900001111,nameless@example.com,,,,,\n"
).encode("gb18030")

CUSTOMER_GRAPH = """
query($search: String!) {
  customers(first: 5, filter: { search: $search }) {
    edges { node {
      name externalId phone
      contacts(first: 5) { edges { node { name phone } } }
      activities(first: 5) { edges { node { kind content nextFollowUpAt } } }
    } }
  }
}
"""


async def _run(
    arq_redis: ArqRedis, gql: GraphQL, token: str, started: dict[str, Any], queue_name: str
) -> dict[str, Any]:
    """Lets a real worker take the nudge the API queued; returns the job as the graph shows it."""
    assert started["errors"] == [], started["errors"]
    job_id = started["importJob"]["id"]
    nudge = await nudge_of(arq_redis, pk(job_id))
    assert nudge is not None, "the API queued no nudge"
    worker = await run_nudge_on_worker(arq_redis, nudge, queue_name)
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    return (await gql.execute(IMPORT_JOB, {"id": job_id}, token)).ok()["importJob"]


def _counts(job: dict[str, Any]) -> tuple[str, int, int, int, int, int]:
    return (
        job["status"],
        job["processedRows"],
        job["createdCount"],
        job["updatedCount"],
        job["skippedCount"],
        job["failedCount"],
    )


def _errors(job: dict[str, Any]) -> list[tuple[int, str | None]]:
    return [(edge["node"]["row"], edge["node"]["field"]) for edge in job["errors"]["edges"]]


async def test_a_chinese_csv_lands_its_good_rows_and_again_as_upsert_creates_nothing(
    client: httpx.AsyncClient,
    gql: GraphQL,
    workspace: Account,
    arq_redis: ArqRedis,
    queue_name: str,
):
    # when: the file is uploaded and a worker runs it
    first = payload_of(
        await upload(client, workspace.token, CUSTOMERS_CSV, "客户.csv", kind="CUSTOMERS")
    )
    job = await _run(arq_redis, gql, workspace.token, first, queue_name)

    # then: every good row landed, each bad row is reported by its field and its row as
    # Excel shows it (the header is row 1)
    assert _counts(job) == ("COMPLETED", 4, 2, 0, 0, 2)
    assert _errors(job) == [(3, "phone"), (5, "name")]
    found = (await gql.execute(CUSTOMER_GRAPH, {"search": "云帆"}, workspace.token)).ok()
    [yunfan] = [edge["node"] for edge in found["customers"]["edges"]]
    assert yunfan["contacts"]["edges"] == [{"node": {"name": "李娜", "phone": "139-1122-3344"}}]

    # when: the same file again, as an UPSERT
    again = payload_of(
        await upload(
            client, workspace.token, CUSTOMERS_CSV, "客户.csv", kind="CUSTOMERS", mode="UPSERT"
        )
    )
    job = await _run(arq_redis, gql, workspace.token, again, queue_name)

    # then: the rows found their records; nothing was created twice
    assert _counts(job) == ("COMPLETED", 4, 0, 2, 0, 2)
    total = "{ customers(first: 10) { totalCount } }"
    assert (await gql.execute(total, token=workspace.token)).ok()["customers"]["totalCount"] == 2


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def test_an_integrators_records_link_up_across_kinds_and_formats(
    client: httpx.AsyncClient,
    gql: GraphQL,
    workspace: Account,
    arq_redis: ArqRedis,
    queue_name: str,
):
    # given: customers sent as JSON rows by an ERP, matched on its ids
    erp_rows = [
        {"externalId": "ERP-1", "name": "北京华信咨询", "phone": "010-8765 4321"},
        {"externalId": "ERP-2", "name": "Acme Trading", "email": "buyer@acme.example"},
    ]
    started = await start_import(
        gql, workspace.token, kind="CUSTOMERS", rows=erp_rows, matchOn=["externalId"]
    )
    assert _counts(await _run(arq_redis, gql, workspace.token, started, queue_name)) == (
        "COMPLETED",
        2,
        2,
        0,
        0,
        0,
    )

    # when: the ERP sends ERP-1 again, renamed, with a new customer
    renamed = [
        {"externalId": "ERP-1", "name": "北京华信管理咨询有限公司"},
        {"externalId": "ERP-3", "name": "深圳新客户"},
    ]
    started = await start_import(
        gql, workspace.token, kind="CUSTOMERS", rows=renamed, matchOn=["externalId"]
    )
    job = await _run(arq_redis, gql, workspace.token, started, queue_name)

    # then: one updated by its id, one created
    assert _counts(job) == ("COMPLETED", 2, 1, 1, 0, 0)

    # when: contacts arrive in a workbook, linked by the customer's external id
    workbook = _xlsx(
        [
            ["客户编号", "姓名", "手机", "职位"],
            ["ERP-1", "赵敏", "13655667788", "采购经理"],
            ["ERP-9", "无主联系人", "13500000000", None],
        ]
    )
    started = payload_of(
        await upload(client, workspace.token, workbook, "联系人.xlsx", kind="CONTACTS")
    )
    job = await _run(arq_redis, gql, workspace.token, started, queue_name)
    assert (job["format"], *_counts(job)) == ("XLSX", "COMPLETED", 2, 1, 0, 0, 1)
    assert _errors(job) == [(3, "customer.externalId")]

    # and follow-ups arrive as JSON rows, linked by the customer's phone
    follow_ups = [
        {
            "客户电话": "(010) 87654321",
            "类型": "电话",
            "时间": "2026-03-05 14:30",
            "内容": "客户希望下周看演示",
            "下次跟进时间": "2099-03-12 10:00",
        }
    ]
    started = await start_import(gql, workspace.token, kind="ACTIVITIES", rows=follow_ups)
    job = await _run(arq_redis, gql, workspace.token, started, queue_name)
    assert _counts(job) == ("COMPLETED", 1, 1, 0, 0, 0)

    # then: the customer's graph holds them all, and its follow-up waits as a reminder
    found = (await gql.execute(CUSTOMER_GRAPH, {"search": "华信"}, workspace.token)).ok()
    [huaxin] = [edge["node"] for edge in found["customers"]["edges"]]
    assert (huaxin["name"], huaxin["externalId"]) == ("北京华信管理咨询有限公司", "ERP-1")
    assert huaxin["contacts"]["edges"] == [{"node": {"name": "赵敏", "phone": "13655667788"}}]
    [activity] = [edge["node"] for edge in huaxin["activities"]["edges"]]
    assert (activity["kind"], activity["content"]) == ("CALL", "客户希望下周看演示")
    assert activity["nextFollowUpAt"] is not None
    reminders = await Reminder.filter(customer__external_id="ERP-1", customer__name=huaxin["name"])
    assert [r.status for r in reminders] == [ReminderStatus.PENDING]
