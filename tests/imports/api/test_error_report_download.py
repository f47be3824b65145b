"""GET /imports/{id}/errors.csv: the failed rows to fix in Excel, for the job's workspace only."""

import codecs
import csv
import io

import httpx

from api.core.ids import to_global_id
from domain.imports.runner import run_import
from models import ImportJob
from models.enums import ImportStatus
from tests.factories import create_api_key, pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import IMPORT_JOB, payload_of, start_import, upload

ROWS = [
    {
        "客户名称": '=HYPERLINK("http://evil.example","点我")',
        "电话": "+86 call me",
        "邮箱": "@evil",
        "标签": "-VIP",
    },
    {"客户名称": "北京星辰科技有限公司", "电话": "13800138000", "邮箱": None, "标签": "重点客户"},
    {"客户名称": "上海浦江贸易", "电话": "021-55550100", "邮箱": "not-an-email", "标签": None},
]


async def _finished_import(gql: GraphQL, account: Account, rows: list[dict]) -> str:
    job_id = (await start_import(gql, account.token, kind="CUSTOMERS", rows=rows))["importJob"][
        "id"
    ]
    assert await run_import(pk(job_id)) == ImportStatus.COMPLETED
    return job_id


async def _download(client: httpx.AsyncClient, url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.get(url, headers=headers)


def _rows(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith(codecs.BOM_UTF8)  # Excel reads Chinese right only then
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


async def test_the_report_holds_each_failed_row_with_its_errors(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given: an import whose first and third rows failed
    job_id = await _finished_import(gql, workspace, ROWS)
    job = (await gql.execute(IMPORT_JOB, {"id": job_id}, workspace.token)).ok()["importJob"]

    # when: the client follows the job's errorReportUrl
    response = await _download(client, job["errorReportUrl"], workspace.token)

    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store"
    header, first, third = _rows(response)
    assert header == ["客户名称", "电话", "邮箱", "标签", "error", "row"]
    # cells a spreadsheet would run as formulas are defused with a leading '
    assert first[:4] == [
        '\'=HYPERLINK("http://evil.example","点我")',
        "'+86 call me",
        "'@evil",
        "'-VIP",
    ]
    assert sorted(part.split(":")[0] for part in first[4].split("; ")) == ["email", "phone"]
    assert first[5] == "1"
    assert third[:4] == ["上海浦江贸易", "021-55550100", "not-an-email", ""]
    assert third[4].startswith("email: ")
    assert third[5] == "3"


async def test_a_row_that_could_not_be_read_is_reported_without_cells(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given: a CSV whose first row has more cells than its header
    content = "客户名称,电话\n甲公司,13800138000,多余,又多余\n乙公司,打不通\n".encode("gb18030")
    job_id = payload_of(
        await upload(client, workspace.token, content, "客户.csv", kind="CUSTOMERS")
    )["importJob"]["id"]
    assert await run_import(pk(job_id)) == ImportStatus.COMPLETED

    # when
    response = await _download(client, f"/imports/{job_id}/errors.csv", workspace.token)

    # then
    assert response.status_code == 200
    assert (
        "filename*=UTF-8''%E5%AE%A2%E6%88%B7-errors.csv" in response.headers["content-disposition"]
    )
    header, unreadable, bad_phone = _rows(response)
    assert header == ["客户名称", "电话", "error", "row"]
    assert unreadable[:2] == ["", ""]
    assert "header only 2" in unreadable[2]
    assert unreadable[3] == "2"
    assert bad_phone[:2] == ["乙公司", "打不通"]
    assert bad_phone[2].startswith("phone: ")
    assert bad_phone[3] == "3"


async def test_a_job_without_failures_has_no_report_url(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given
    job_id = await _finished_import(gql, workspace, [ROWS[1]])

    # when
    job = (await gql.execute(IMPORT_JOB, {"id": job_id}, workspace.token)).ok()["importJob"]
    response = await _download(client, f"/imports/{job_id}/errors.csv", workspace.token)

    # then: no link to follow; the report itself is just its header
    assert job["errorReportUrl"] is None
    assert response.status_code == 200
    assert _rows(response) == [["客户名称", "电话", "邮箱", "标签", "error", "row"]]


async def test_an_api_key_may_download(client: httpx.AsyncClient, gql: GraphQL, workspace: Account):
    # given
    job_id = await _finished_import(gql, workspace, ROWS)
    # (an ADMIN key: it sees every job of the workspace, the admin's among them)
    key = await create_api_key(gql, workspace, name="报表", role="ADMIN")

    # when
    response = await _download(client, f"/imports/{job_id}/errors.csv", key)

    # then
    assert response.status_code == 200
    assert len(_rows(response)) == 3


async def test_another_workspace_gets_404(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given
    job_id = await _finished_import(gql, workspace, ROWS)
    stranger = await gql.sign_up()

    # when
    response = await _download(client, f"/imports/{job_id}/errors.csv", stranger.token)

    # then: the same answer as for a job that does not exist
    missing = await _download(
        client, f"/imports/{to_global_id('ImportJob', 2**40)}/errors.csv", stranger.token
    )
    assert (response.status_code, response.text) == (404, "Import job not found.")
    assert (missing.status_code, missing.text) == (404, "Import job not found.")


async def test_ids_that_are_not_import_jobs_get_404(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given: the pk of a real job in an id of another type, and no id at all
    job_id = await _finished_import(gql, workspace, ROWS)

    for bad_id in (to_global_id("Customer", pk(job_id)), "not-an-id"):
        # when
        response = await _download(client, f"/imports/{bad_id}/errors.csv", workspace.token)

        # then
        assert response.status_code == 404, bad_id


async def test_without_valid_credentials_the_answer_is_401(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given
    job_id = await _finished_import(gql, workspace, ROWS)
    url = f"/imports/{job_id}/errors.csv"

    # when
    anonymous = await _download(client, url, None)
    forged = await _download(client, url, "not-a-token")

    # then
    for response in (anonymous, forged):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "客户" not in response.text


async def test_formula_like_header_cells_are_defused_and_read_back_as_they_were(
    client: httpx.AsyncClient, workspace: Account
):
    # given: a file whose own header has cells a spreadsheet would run as formulas
    formulas = ['=HYPERLINK("http://evil.example","点我")', "@SUM(A1)", "+1", "-2"]
    lines = io.StringIO()
    csv.writer(lines).writerows([["客户名称", "电话", *formulas], ["甲公司", "打不通", *"abcd"]])
    content = lines.getvalue().encode()
    job_id = payload_of(
        await upload(client, workspace.token, content, "客户.csv", kind="CUSTOMERS")
    )["importJob"]["id"]
    assert await run_import(pk(job_id)) == ImportStatus.COMPLETED

    # when
    response = await _download(client, f"/imports/{job_id}/errors.csv", workspace.token)

    # then: the header's cells are defused like the rows' (before: written raw)
    assert response.status_code == 200
    report_header, failed = _rows(response)
    assert report_header == ["客户名称", "电话", *(f"'{cell}" for cell in formulas), "error", "row"]
    assert failed[:6] == ["甲公司", "打不通", "a", "b", "c", "d"]

    # and the fixed report, imported again, has the columns the file had
    again = payload_of(
        await upload(client, workspace.token, response.content, "客户-errors.csv", kind="CUSTOMERS")
    )["importJob"]["id"]
    assert await run_import(pk(again)) == ImportStatus.COMPLETED
    first, second = await ImportJob.filter(id__in=[pk(job_id), pk(again)]).order_by("id")
    assert first.unmapped_columns == formulas
    assert second.unmapped_columns == [*formulas, "error", "row"]
