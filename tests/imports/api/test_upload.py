"""startImport with a file through the GraphQL multipart request spec: CSRF and size guards."""

import asyncio

import httpx
from arq import ArqRedis

from domain.imports.runner import run_import
from models import Customer, ImportJob
from models.enums import ImportStatus
from tests.factories import pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import job_count, nudge_of, payload_of, upload

# As Excel saves "CSV" on a Chinese Windows: GB18030, Chinese headers.
GB18030_CSV = (
    "客户名称,电话,邮箱,类型,标签\n"
    "北京星辰科技有限公司,+86 138-0013-8000,info@xingchen.cn,企业,重点客户、VIP\n"
    "王小明,13700002222,wxm@example.com,个人,老客户\n"
).encode("gb18030")
MAX_BYTES = 50 * 1024 * 1024  # IMPORT_MAX_BYTES's default, which the test server runs with


async def test_a_gb18030_csv_with_chinese_headers_is_imported(
    client: httpx.AsyncClient, workspace: Account, arq_redis: ArqRedis
):
    # when
    response = await upload(client, workspace.token, GB18030_CSV, "客户名单.csv", kind="CUSTOMERS")

    # then: stored as it came, and nudged
    started = payload_of(response)
    assert started["errors"] == []
    assert (started["importJob"]["status"], started["importJob"]["format"]) == ("QUEUED", "CSV")
    job = await ImportJob.get(id=pk(started["importJob"]["id"]))
    assert (job.file_name, job.payload) == ("客户名单.csv", GB18030_CSV)
    assert await nudge_of(arq_redis, job.id) is not None

    # and once run, the Chinese text is whole
    assert await run_import(job.id) == ImportStatus.COMPLETED
    customers = await Customer.filter(workspace_id=job.workspace_id).order_by("id")
    assert [(c.name, c.tags) for c in customers] == [
        ("北京星辰科技有限公司", ["重点客户", "VIP"]),
        ("王小明", ["老客户"]),
    ]


async def test_x_requested_with_also_passes_the_csrf_check(
    client: httpx.AsyncClient, workspace: Account
):
    # when
    response = await upload(
        client,
        workspace.token,
        GB18030_CSV,
        "a.csv",
        headers={"X-Requested-With": "XMLHttpRequest"},
        kind="CUSTOMERS",
    )

    # then
    assert payload_of(response)["errors"] == []


async def test_an_upload_without_a_preflight_header_is_refused(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # when: what a form on another web site could post with the user's credentials
    response = await upload(
        client, workspace.token, GB18030_CSV, "a.csv", headers={}, kind="CUSTOMERS"
    )

    # then
    assert response.status_code == 400
    assert "Apollo-Require-Preflight" in response.text
    assert await job_count(gql, workspace.token) == 0


async def test_the_declared_format_overrides_detection(
    client: httpx.AsyncClient, workspace: Account
):
    # given: a CSV whose first header starts with "{", as JSON Lines does
    content = "{编号},客户名称\nA-1,甲公司\n".encode()

    # when
    response = await upload(
        client, workspace.token, content, "x.txt", kind="CUSTOMERS", format="CSV"
    )

    # then: read as the CSV it is
    started = payload_of(response)
    assert started["importJob"]["format"] == "CSV"
    job_pk = pk(started["importJob"]["id"])
    assert await run_import(job_pk) == ImportStatus.COMPLETED
    done = await ImportJob.get(id=job_pk)
    assert (done.created_count, done.failed_count) == (1, 0)


async def test_a_declared_format_the_bytes_contradict_is_a_user_error(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # when
    response = await upload(
        client, workspace.token, GB18030_CSV, "a.xlsx", kind="CUSTOMERS", format="XLSX"
    )

    # then
    started = payload_of(response)
    assert started["importJob"] is None
    assert [(e["field"], e["code"]) for e in started["errors"]] == [("input.format", "INVALID")]
    assert await job_count(gql, workspace.token) == 0


async def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given: one byte over the limit
    content = b"name\n" + b"x" * (MAX_BYTES - 4)

    # when
    response = await upload(client, workspace.token, content, "big.csv", kind="CUSTOMERS")

    # then
    started = payload_of(response)
    assert started["importJob"] is None
    assert started["errors"] == [
        {"field": "input.file", "message": "The file is larger than 50 MB.", "code": "INVALID"}
    ]
    assert await job_count(gql, workspace.token) == 0


async def test_a_body_announced_far_over_the_limit_is_refused_before_it_is_read(
    server: str, gql: GraphQL, workspace: Account
):
    # given: a request that says 10 GB are coming, and sends a few bytes
    host, port = server.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        "POST /graphql HTTP/1.1\r\n"
        f"Host: {server}\r\n"
        f"Authorization: Bearer {workspace.token}\r\n"
        "Apollo-Require-Preflight: true\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {10 * 1024**3}\r\n\r\n"
        "--b\r\n"
    )

    # when
    writer.write(head.encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    rest = await asyncio.wait_for(reader.read(4096), 10)
    writer.close()

    # then: answered at once, without waiting for the body
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    assert b"The file is larger than 50 MB." in rest
    assert await job_count(gql, workspace.token) == 0
