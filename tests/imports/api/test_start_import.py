"""startImport with JSON rows: stored as a QUEUED job, nudged once, run by a real worker."""

import logging

import pytest
from arq import ArqRedis

from api.imports.nudges import nudge_import_worker
from models import Customer, ImportJob
from tests.factories import create_api_key, pk
from tests.helpers import Account, GraphQL, count_queries
from tests.imports.api.support import (
    IMPORT_JOB,
    forget_nudge,
    job_count,
    nudge_of,
    run_nudge_on_worker,
    start_import,
)
from tests.ops.processes import free_port

ROWS = [
    {"客户名称": "北京星辰科技有限公司", "电话": "+86 138-0013-8000", "标签": "重点客户"},
    {"客户名称": "坏电话公司", "电话": "call me"},
    {"客户名称": "Acme Ltd", "邮箱": "buyer@acme.example"},
]


async def test_rows_are_imported_end_to_end_by_a_worker(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str
):
    # given
    started = await start_import(gql, workspace.token, kind="CUSTOMERS", rows=ROWS)
    assert started["errors"] == []
    job = started["importJob"]
    assert (job["status"], job["format"], job["mode"], job["processedRows"]) == (
        "QUEUED",
        "JSONL",
        "UPSERT",
        0,
    )
    nudge = await nudge_of(arq_redis, pk(job["id"]))
    assert nudge is not None

    # when: a worker takes the nudge the API queued
    worker = await run_nudge_on_worker(arq_redis, nudge, queue_name)

    # then
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    done = (await gql.execute(IMPORT_JOB, {"id": job["id"]}, workspace.token)).ok()["importJob"]
    assert done["status"] == "COMPLETED"
    assert (done["processedRows"], done["createdCount"], done["failedCount"]) == (3, 2, 1)
    assert [(e["node"]["row"], e["node"]["field"]) for e in done["errors"]["edges"]] == [
        (2, "phone")
    ]
    assert done["errorReportUrl"].endswith(f"/imports/{job['id']}/errors.csv")
    workspace_id = (await ImportJob.get(id=pk(job["id"]))).workspace_id
    names = (
        await Customer.filter(workspace_id=workspace_id)
        .order_by("id")
        .values_list("name", flat=True)
    )
    assert names == ["北京星辰科技有限公司", "Acme Ltd"]


async def test_an_api_key_may_import(gql: GraphQL, workspace: Account, arq_redis: ArqRedis):
    # given: an integrator's key
    key = await create_api_key(gql, workspace, name="ERP 同步")

    # when
    started = await start_import(gql, key, kind="CUSTOMERS", rows=ROWS[:1], matchOn=["externalId"])

    # then
    assert started["errors"] == []
    assert started["importJob"]["status"] == "QUEUED"
    assert await nudge_of(arq_redis, pk(started["importJob"]["id"])) is not None
    assert await job_count(gql, workspace.token) == 1


async def test_the_same_idempotency_key_returns_the_same_job_and_nudges_once(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis
):
    # given: a first call, whose nudge a worker has taken off the queue
    first = await start_import(
        gql, workspace.token, kind="CUSTOMERS", rows=ROWS, idempotencyKey="erp-2024-06-01"
    )
    job_pk = pk(first["importJob"]["id"])
    nudge = await nudge_of(arq_redis, job_pk)
    assert nudge is not None
    await forget_nudge(arq_redis, nudge)

    # when: the client retries with the same key (and other rows)
    again = await start_import(
        gql, workspace.token, kind="CUSTOMERS", rows=ROWS[:1], idempotencyKey="erp-2024-06-01"
    )

    # then: the first job, not nudged a second time, and no second job
    assert again["errors"] == []
    assert again["importJob"]["id"] == first["importJob"]["id"]
    assert await nudge_of(arq_redis, job_pk) is None
    assert await job_count(gql, workspace.token) == 1


async def test_rows_and_file_missing_is_a_user_error(gql: GraphQL, workspace: Account):
    # when
    started = await start_import(gql, workspace.token, kind="CUSTOMERS")

    # then
    assert started["importJob"] is None
    assert [(e["field"], e["code"]) for e in started["errors"]] == [("input", "REQUIRED")]
    assert await job_count(gql, workspace.token) == 0


async def test_bad_input_is_reported_field_by_field(gql: GraphQL, workspace: Account):
    # when
    started = await start_import(
        gql,
        workspace.token,
        kind="CUSTOMERS",
        rows=[{"name": "好"}, ["not", "an", "object"]],
        matchOn=["shoeSize"],
        mapping=[{"column": "名称", "field": "nonsense"}],
    )

    # then
    assert started["importJob"] is None
    assert sorted(e["field"] for e in started["errors"]) == [
        "input.mapping.0.field",
        "input.matchOn.0",
        "input.rows.1",
    ]
    assert {e["code"] for e in started["errors"]} == {"INVALID"}
    assert await job_count(gql, workspace.token) == 0


async def test_a_file_sent_as_json_is_a_user_error(gql: GraphQL, workspace: Account):
    # when: a client puts text where the multipart spec puts an uploaded file
    started = await start_import(gql, workspace.token, kind="CUSTOMERS", file="客户名称\n甲公司\n")

    # then
    assert started["importJob"] is None
    assert [(e["field"], e["code"]) for e in started["errors"]] == [("input.file", "INVALID")]


async def test_without_a_token_nothing_is_started(gql: GraphQL, workspace: Account):
    # when
    result = await gql.execute(
        "mutation($input: StartImportInput!) { startImport(input: $input) { importJob { id } } }",
        {"input": {"kind": "CUSTOMERS", "rows": ROWS}},
    )

    # then
    assert result.data is None
    assert [e["extensions"]["code"] for e in result.errors] == ["UNAUTHENTICATED"]
    assert await job_count(gql, workspace.token) == 0


@pytest.mark.parametrize("size", [10, 2000])
async def test_statements_do_not_grow_with_the_rows(gql: GraphQL, workspace: Account, size: int):
    # given
    rows = [{"name": f"客户 {i}", "phone": f"139{i:08d}"} for i in range(size)]

    # when
    with count_queries() as statements:
        started = await start_import(
            gql, workspace.token, kind="CUSTOMERS", rows=rows, idempotencyKey="k"
        )

    # then: the viewer, the idempotency key, the insert
    assert started["errors"] == []
    assert len(statements) == 3, statements


async def test_a_job_is_kept_queued_when_redis_is_down(
    workspace: Account, gql: GraphQL, caplog: pytest.LogCaptureFixture
):
    # given: a stored job, and a Redis nobody listens on
    started = await start_import(gql, workspace.token, kind="CUSTOMERS", rows=ROWS)
    job = await ImportJob.get(id=pk(started["importJob"]["id"]))
    down = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)

    # when
    with caplog.at_level(logging.WARNING, logger="crm.api.imports"):
        nudged = await nudge_import_worker(down, job)
    await down.aclose()

    # then: no error escapes; the job waits, QUEUED, for the sweeper
    assert nudged is False
    assert "could not nudge a worker" in caplog.text
    assert (await ImportJob.get(id=job.id)).status.value == "QUEUED"


async def test_a_job_says_who_started_it(gql: GraphQL, workspace: Account, arq_redis: ArqRedis):
    # given
    started = await start_import(gql, workspace.token, kind="CUSTOMERS", rows=ROWS[:1])
    job_id = started["importJob"]["id"]

    # when: read alone and in the list (both read the job without its file)
    query = """
    query($id: ID!) {
      importJob(id: $id) { createdBy { email } }
      importJobs(first: 5) { edges { node { id createdBy { email } } } }
    }
    """
    data = (await gql.execute(query, {"id": job_id}, workspace.token)).ok()

    # then
    assert data["importJob"]["createdBy"] == {"email": workspace.email}
    assert data["importJobs"]["edges"] == [
        {"node": {"id": job_id, "createdBy": {"email": workspace.email}}}
    ]
