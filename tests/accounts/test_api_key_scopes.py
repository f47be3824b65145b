"""An API key's scopes: READ for queries and subscriptions, WRITE for mutations, IMPORTS for
startImport, cancelImport, uploads and the error-report download. A key without the scope is
refused (FORBIDDEN, the scope named) before anything runs; a signed-in person has them all."""

from __future__ import annotations

import httpx
import pytest

from domain.imports.runner import run_import
from models import Customer, ImportJob
from models.enums import ImportStatus
from tests.factories import create_api_key, pk, workspace_pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import CANCEL_IMPORT, start_import, upload
from tests.subscriptions import signed_in_socket, subscribe, until_complete

CUSTOMERS = "{ customers(first: 5) { totalCount } }"
CREATE_CUSTOMER = """
mutation { createCustomer(input: {name: "来自 ERP"}) { customer { id } errors { message code } } }
"""
REMINDER_DUE = "subscription { reminderDue { id } }"
ROWS = [{"name": "北京星辰科技有限公司", "phone": "not a phone"}]


def _missing(scope: str) -> str:
    return f"This API key lacks the {scope} scope"


async def _key(gql: GraphQL, workspace: Account, *scopes: str) -> str:
    return await create_api_key(gql, workspace, name="ERP", role="ADMIN", scopes=list(scopes))


async def test_a_key_without_read_cannot_query(gql: GraphQL, workspace: Account):
    # given
    write_only = await _key(gql, workspace, "WRITE", "IMPORTS")
    reader = await _key(gql, workspace, "READ")

    # when
    refused = await gql.execute(CUSTOMERS, token=write_only)
    allowed = await gql.execute(CUSTOMERS, token=reader)

    # then
    assert refused.data is None
    [error] = refused.errors
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "READ"}
    assert error["message"].startswith(_missing("READ"))
    assert allowed.ok() == {"customers": {"totalCount": 0}}


async def test_a_key_without_read_cannot_subscribe(gql: GraphQL, server: str, workspace: Account):
    # given
    write_only = await _key(gql, workspace, "WRITE")

    # when
    async with signed_in_socket(server, write_only) as ws:
        operation = await subscribe(ws, REMINDER_DUE)
        messages = await until_complete(ws, operation)

    # then
    [message] = messages
    assert message["type"] == "error"
    [error] = message["payload"]
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "READ"}


async def test_a_key_without_write_cannot_mutate(gql: GraphQL, workspace: Account):
    # given
    read_only = await _key(gql, workspace, "READ", "IMPORTS")
    writer = await _key(gql, workspace, "WRITE")

    # when
    refused = (await gql.execute(CREATE_CUSTOMER, token=read_only)).ok()["createCustomer"]
    allowed = (await gql.execute(CREATE_CUSTOMER, token=writer)).ok()["createCustomer"]

    # then
    assert refused["customer"] is None
    [error] = refused["errors"]
    assert error["code"] == "FORBIDDEN"
    assert error["message"].startswith(_missing("WRITE"))
    assert allowed["errors"] == []
    assert await Customer.filter(workspace_id=await workspace_pk(workspace)).count() == 1


async def test_imports_need_the_imports_scope_not_write(gql: GraphQL, workspace: Account):
    # given
    writer = await _key(gql, workspace, "READ", "WRITE")
    importer = await _key(gql, workspace, "IMPORTS")

    # when
    refused = await start_import(gql, writer, kind="CUSTOMERS", rows=ROWS)
    started = await start_import(gql, importer, kind="CUSTOMERS", rows=ROWS)

    # then
    assert refused["importJob"] is None
    [error] = refused["errors"]
    assert error["code"] == "FORBIDDEN"
    assert error["message"].startswith(_missing("IMPORTS"))
    assert started["errors"] == []
    assert await ImportJob.filter(workspace_id=await workspace_pk(workspace)).count() == 1


async def test_cancelling_an_import_needs_the_imports_scope(gql: GraphQL, workspace: Account):
    # given: a queued job
    job_id = (await start_import(gql, workspace.token, kind="CUSTOMERS", rows=ROWS))["importJob"][
        "id"
    ]
    writer = await _key(gql, workspace, "READ", "WRITE")
    importer = await _key(gql, workspace, "IMPORTS")

    # when
    refused = (await gql.execute(CANCEL_IMPORT, {"id": job_id}, writer)).ok()["cancelImport"]
    queued = (await ImportJob.get(id=pk(job_id))).status
    cancelled = (await gql.execute(CANCEL_IMPORT, {"id": job_id}, importer)).ok()["cancelImport"]

    # then
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert queued == ImportStatus.QUEUED
    assert cancelled["errors"] == []
    assert cancelled["importJob"]["status"] == "CANCELLED"


async def test_an_upload_without_the_imports_scope_is_refused_unread(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given
    writer = await _key(gql, workspace, "READ", "WRITE")
    content = "客户名称,电话\n北京星辰科技有限公司,13800138000\n".encode()

    # when
    response = await upload(client, writer, content, "客户.csv", kind="CUSTOMERS")

    # then: the HTTP edge's GraphQL error body, before the file is read
    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "IMPORTS"}
    assert error["message"].startswith(_missing("IMPORTS"))
    assert not await ImportJob.filter(workspace_id=await workspace_pk(workspace)).exists()


async def test_the_error_report_needs_the_imports_scope(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given: a finished import with a failed row
    job_id = (await start_import(gql, workspace.token, kind="CUSTOMERS", rows=ROWS))["importJob"][
        "id"
    ]
    assert await run_import(pk(job_id)) == ImportStatus.COMPLETED
    url = f"/imports/{job_id}/errors.csv"
    reader = await _key(gql, workspace, "READ", "WRITE")
    importer = await _key(gql, workspace, "IMPORTS")

    # when
    refused = await client.get(url, headers={"Authorization": f"Bearer {reader}"})
    allowed = await client.get(url, headers={"Authorization": f"Bearer {importer}"})

    # then
    assert refused.status_code == 403
    assert refused.text.startswith(_missing("IMPORTS"))
    assert allowed.status_code == 200


@pytest.mark.parametrize("scopes", [["READ"], ["READ", "WRITE", "IMPORTS"]])
async def test_a_key_lists_its_scopes(gql: GraphQL, workspace: Account, scopes: list[str]):
    # given / when
    payload = (
        await gql.execute(
            'mutation($s: [ApiKeyScope!]) { createApiKey(name: "x", scopes: $s) '
            "{ apiKey { scopes } errors { code } } }",
            {"s": list(reversed(scopes))},
            workspace.token,
        )
    ).ok()["createApiKey"]

    # then: in their canonical order
    assert payload == {"apiKey": {"scopes": scopes}, "errors": []}


async def test_a_key_defaults_to_every_scope_and_needs_one(gql: GraphQL, workspace: Account):
    # given / when
    default = (
        await gql.execute(
            'mutation { createApiKey(name: "x") { apiKey { scopes } errors { code } } }',
            token=workspace.token,
        )
    ).ok()["createApiKey"]
    none = (
        await gql.execute(
            'mutation { createApiKey(name: "x", scopes: []) { secret errors { field code } } }',
            token=workspace.token,
        )
    ).ok()["createApiKey"]

    # then
    assert default["apiKey"]["scopes"] == ["READ", "WRITE", "IMPORTS"]
    assert none == {"secret": None, "errors": [{"field": "scopes", "code": "REQUIRED"}]}
