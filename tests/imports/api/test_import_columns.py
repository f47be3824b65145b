"""`ImportJob.columns` shows which field each column of the file fills, and which it ignored."""

from __future__ import annotations

import httpx
from arq import ArqRedis

from models import ImportJob
from tests.factories import pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import nudge_of, payload_of, run_nudge_on_worker, upload

JOB = """
query Job($id: ID!) {
  importJob(id: $id) {
    status failureReason failedCount
    columns { name field }
    ignoredColumns
    errors(first: 10) { edges { node { row field } } }
  }
}
"""


async def _uploaded_and_run(
    client: httpx.AsyncClient,
    gql: GraphQL,
    account: Account,
    arq_redis: ArqRedis,
    queue: str,
    content: bytes,
) -> dict:
    started = payload_of(await upload(client, account.token, content, "客户.csv", kind="CUSTOMERS"))
    assert started["errors"] == []
    job_id = started["importJob"]["id"]
    # before a worker has read the file, there are no columns to show
    queued = (await gql.execute(JOB, {"id": job_id}, account.token)).ok()["importJob"]
    assert (queued["columns"], queued["ignoredColumns"]) == ([], [])
    nudge = await nudge_of(arq_redis, pk(job_id))
    assert nudge is not None
    await run_nudge_on_worker(arq_redis, nudge, queue)
    return (await gql.execute(JOB, {"id": job_id}, account.token)).ok()["importJob"]


async def test_a_job_shows_each_columns_field_and_the_columns_it_ignored(
    client: httpx.AsyncClient,
    gql: GraphQL,
    workspace: Account,
    arq_redis: ArqRedis,
    queue_name: str,
):
    # given: a WPS export's headers, one naming nothing we store, and a bad phone on row 3
    content = (
        "Company name,客户编号,联系人,联系人职位,手机,微信号\r\n"
        "云帆科技,C-1,李娜,总经理,13800138000,yf\r\n"
        "华信咨询,C-2,赵敏,采购,call me,hx\r\n"
    ).encode("gb18030")

    # when
    job = await _uploaded_and_run(client, gql, workspace, arq_redis, queue_name, content)

    # then
    assert job["status"] == "COMPLETED"
    assert job["columns"] == [
        {"name": "Company name", "field": "name"},
        {"name": "客户编号", "field": "externalId"},
        {"name": "联系人", "field": "contact.name"},
        {"name": "联系人职位", "field": "contact.title"},
        {"name": "手机", "field": "phone"},
        {"name": "微信号", "field": None},
    ]
    assert job["ignoredColumns"] == ["微信号"]
    # the row as Excel shows it: the header is row 1
    assert job["errors"]["edges"] == [{"node": {"row": 3, "field": "phone"}}]


async def test_a_file_without_a_name_column_fails_once_listing_its_columns(
    client: httpx.AsyncClient,
    gql: GraphQL,
    workspace: Account,
    arq_redis: ArqRedis,
    queue_name: str,
):
    # given
    content = b"Firma,Telefon\r\nYunfan,13800138000\r\nHuaxin,13900139000\r\n"

    # when
    job = await _uploaded_and_run(client, gql, workspace, arq_redis, queue_name, content)

    # then: one reason, no row errors
    assert (job["status"], job["failedCount"], job["errors"]["edges"]) == ("FAILED", 0, [])
    assert "customer's name" in job["failureReason"]
    assert "The file's columns: “Firma”, “Telefon”." in job["failureReason"]
    assert job["ignoredColumns"] == ["Firma", "Telefon"]


async def test_a_job_run_before_fields_were_stored_shows_them_guessed(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given: a job as migration 0017 found it, its columns stored without their fields
    started = payload_of(
        await upload(client, workspace.token, b"name,fax\r\nA,1\r\n", "a.csv", kind="CUSTOMERS")
    )
    job_id = started["importJob"]["id"]
    await ImportJob.filter(id=pk(job_id)).update(file_columns=["Company name", "fax"])

    # when
    job = (await gql.execute(JOB, {"id": job_id}, workspace.token)).ok()["importJob"]

    # then
    assert job["columns"] == [
        {"name": "Company name", "field": "name"},
        {"name": "fax", "field": None},
    ]
    assert job["ignoredColumns"] == ["fax"]
