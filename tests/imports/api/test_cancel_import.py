"""cancelImport: a queued job stops at once; finished and foreign jobs are left alone."""

from api.core.ids import to_global_id
from domain.imports.runner import run_import
from models import ImportJob
from models.enums import ImportStatus
from tests.factories import pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import CANCEL_IMPORT, start_import

ROWS = [{"name": "甲公司"}, {"name": "乙公司"}]


async def _queued_job(gql: GraphQL, account: Account) -> str:
    started = await start_import(gql, account.token, kind="CUSTOMERS", rows=ROWS)
    return started["importJob"]["id"]


async def test_a_queued_import_is_cancelled_at_once(gql: GraphQL, workspace: Account):
    # given
    job_id = await _queued_job(gql, workspace)

    # when
    result = await gql.execute(CANCEL_IMPORT, {"id": job_id}, workspace.token)

    # then
    payload = result.ok()["cancelImport"]
    assert payload["errors"] == []
    assert payload["importJob"]["status"] == "CANCELLED"
    assert payload["importJob"]["finishedAt"] is not None
    # and a worker that gets the nudge later imports nothing
    assert await run_import(pk(job_id)) is None
    assert (await ImportJob.get(id=pk(job_id))).processed_rows == 0


async def test_a_finished_import_cannot_be_cancelled(gql: GraphQL, workspace: Account):
    # given
    job_id = await _queued_job(gql, workspace)
    assert await run_import(pk(job_id)) == ImportStatus.COMPLETED

    # when
    result = await gql.execute(CANCEL_IMPORT, {"id": job_id}, workspace.token)

    # then
    payload = result.ok()["cancelImport"]
    assert payload["importJob"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "CONFLICT")]
    assert (await ImportJob.get(id=pk(job_id))).status == ImportStatus.COMPLETED


async def test_another_workspace_cannot_cancel_an_import(gql: GraphQL, workspace: Account):
    # given
    job_id = await _queued_job(gql, workspace)
    stranger = await gql.sign_up()

    # when
    result = await gql.execute(CANCEL_IMPORT, {"id": job_id}, stranger.token)

    # then: as if there were no such job, and it runs on untouched
    payload = result.ok()["cancelImport"]
    assert payload["importJob"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
    job = await ImportJob.get(id=pk(job_id))
    assert (job.status, job.cancel_requested_at) == (ImportStatus.QUEUED, None)


async def test_an_id_of_another_type_is_not_found(gql: GraphQL, workspace: Account):
    # given: the pk of a real job, in an id of another type
    job_id = await _queued_job(gql, workspace)
    customer_id = to_global_id("Customer", pk(job_id))

    # when
    result = await gql.execute(CANCEL_IMPORT, {"id": customer_id}, workspace.token)

    # then
    payload = result.ok()["cancelImport"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
    assert (await ImportJob.get(id=pk(job_id))).status == ImportStatus.QUEUED


async def test_without_a_token_nothing_is_cancelled(gql: GraphQL, workspace: Account):
    # given
    job_id = await _queued_job(gql, workspace)

    # when
    result = await gql.execute(CANCEL_IMPORT, {"id": job_id})

    # then
    assert [e["extensions"]["code"] for e in result.errors] == ["UNAUTHENTICATED"]
    assert (await ImportJob.get(id=pk(job_id))).status == ImportStatus.QUEUED
