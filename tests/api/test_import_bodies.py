"""startImport takes 10,000 JSON rows per call, as the README says, at the size rows have: a
signed-in caller may send them in a body up to MAX_IMPORT_BODY_BYTES (8 MiB); any other
body keeps MAX_BODY_BYTES (1 MiB), and so does every caller without a valid token.

Before: 10,000 rows of ~320 bytes (a 3.2 MB body) were answered 413, since every body was
held to 1 MiB: the promise held only for rows of ~100 bytes.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from crm.settings import get_settings
from tests.cpu import cpu_time
from tests.helpers import Account, GraphQL
from tests.imports.api.support import START_IMPORT, job_count

MAX_BODY_BYTES = 1024 * 1024
MAX_IMPORT_BODY_BYTES = 8 * 1024 * 1024
JSON = {"Content-Type": "application/json"}
CREATE_CUSTOMER = """
mutation($input: CustomerInput!) { createCustomer(input: $input) { errors { message } } }
"""
# The CPU time (tests/cpu.py) an answer may cost the process: 10,000 rows went through in
# 0.3-0.7 s (their job stored, not yet run); refusals took 0.1-0.9 s, reading and parsing
# the body first.
ROWS_WITHIN = 10.0
REFUSED_WITHIN = 3.0


def _rows(count: int) -> list[dict[str, str]]:
    """Customer rows as a CRM export holds them: ~300 bytes each, as UTF-8 JSON."""
    return [
        {
            "客户名称": f"北京星辰科技有限公司第{i}分公司",
            "电话": f"138{i:08d}",
            "邮箱": f"contact{i}@xingchen-tech.com.cn",
            "行业": "软件和信息技术服务业",
            "标签": "重点客户,华北区,2024年续约",
            "备注": "展会结识，对私有化部署感兴趣，下季度安排技术交流。",
        }
        for i in range(count)
    ]


def _body(query: str, variables: dict) -> bytes:
    return json.dumps({"query": query, "variables": variables}, ensure_ascii=False).encode()


async def _post(
    client: httpx.AsyncClient, body: bytes, token: str | None
) -> tuple[httpx.Response, float]:
    """The answer, and the CPU seconds the process spent on it."""
    headers = {**JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
    with cpu_time() as cpu:
        response = await client.post("/graphql", content=body, headers=headers)
    return response, cpu.seconds


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 413, response.text[:300]
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
    return error["message"]


async def test_ten_thousand_rows_of_a_real_size_go_through(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given
    body = _body(START_IMPORT, {"input": {"kind": "CUSTOMERS", "rows": _rows(10_000)}})
    assert 2_800_000 < len(body) < 3_300_000, len(body)

    # when
    response, elapsed = await _post(client, body, workspace.token)

    # then
    assert response.status_code == 200, response.text[:300]
    started = response.json()["data"]["startImport"]
    assert started["errors"] == []
    assert started["importJob"]["status"] == "QUEUED"
    assert await job_count(gql, workspace.token) == 1
    assert elapsed < ROWS_WITHIN, f"answered after {elapsed:.1f} CPU s"


async def test_rows_past_what_a_call_takes_are_refused_before_they_are_coerced(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given: 2,000,000 empty rows (6 MB): coercing them one by one, then the domain writing
    # each as a line, would take ~25 s before it said "At most 10,000 rows"
    body = _body(START_IMPORT, {"input": {"kind": "CUSTOMERS", "rows": [{}] * 2_000_000}})

    # when
    response, elapsed = await _post(client, body, workspace.token)

    # then
    assert "(it sends 2,000,000 rows)" in _refusal(response)
    assert elapsed < REFUSED_WITHIN, f"refused after {elapsed:.1f} CPU s"
    assert await job_count(gql, workspace.token) == 0


@pytest.mark.parametrize(
    ("query", "variables", "why"),
    [
        pytest.param(
            CREATE_CUSTOMER,
            {"input": {"name": "大客户", "tags": ["x"] * 700_000}},
            "it is not one startImport mutation alone",
            id="another-mutation",
        ),
        pytest.param(
            START_IMPORT,
            {"input": {"kind": "CUSTOMERS", "rows": [{}], "matchOn": ["name"] * 300_000}},
            "the rest of the request is over 1,048,576 bytes",
            id="large-beside-the-rows",
        ),
        pytest.param(
            "mutation($rows: [JSON!]!) { startImport(input: {kind: CUSTOMERS, rows: $rows}) { errors { code } } }",
            {"rows": [{}] * 400_000},
            "its input is not a variable",
            id="input-a-literal",
        ),
        pytest.param(
            START_IMPORT + " query Other { viewer { id } }",
            {"input": {"kind": "CUSTOMERS", "rows": [{}] * 400_000}},
            "it is not one startImport mutation alone",
            id="no-operation-named",
        ),
    ],
)  # fmt: skip
async def test_a_large_body_that_is_not_rows_is_refused(
    client: httpx.AsyncClient, workspace: Account, query: str, variables: dict, why: str
):
    # given: over MAX_BODY_BYTES, under MAX_IMPORT_BODY_BYTES
    body = _body(query, variables)
    assert MAX_BODY_BYTES < len(body) < MAX_IMPORT_BODY_BYTES, len(body)

    # when
    response, elapsed = await _post(client, body, workspace.token)

    # then
    message = _refusal(response)
    assert message.startswith(
        "A request body over 1,048,576 bytes is taken only for the rows of one startImport"
    ), message
    assert f"({why})" in message
    assert elapsed < REFUSED_WITHIN, f"refused after {elapsed:.1f} CPU s"


async def _announce(server: str, size: int, authorization: str | None) -> bytes:
    """Announces a JSON body of `size` bytes and sends none of it; the answer. The timeout is
    a hang guard: a server that waited for the body would never answer."""
    host, port = server.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        "POST /graphql HTTP/1.1\r\n"
        f"Host: {server}\r\n"
        + (f"Authorization: {authorization}\r\n" if authorization else "")
        + f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    )
    writer.write(head.encode())
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 10)  # the server closes the connection
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("token", "limit"),
    [
        pytest.param(None, MAX_BODY_BYTES, id="no-token"),
        pytest.param("not-a-token", MAX_BODY_BYTES, id="invalid-token"),
        pytest.param("valid", MAX_IMPORT_BODY_BYTES, id="valid-token"),
    ],
)
async def test_a_body_announced_over_the_callers_limit_is_refused_before_it_is_read(
    server: str, workspace: Account, token: str | None, limit: int
):
    # given: 3 MB for a caller without a valid token, 9 MB for one with it
    size = 3 * 1024 * 1024 if limit == MAX_BODY_BYTES else 9 * 1024 * 1024
    authorization = (
        None if token is None else f"Bearer {workspace.token if token == 'valid' else token}"
    )

    # when
    answer = await _announce(server, size, authorization)

    # then
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413"), answer[:300]
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert body["errors"][0]["message"] == (
        f"The request body is larger than the limit of {limit:,} bytes."
    )


def test_the_suite_uses_the_default_limits():
    # The figures above assume the defaults; a changed default must change them too.
    settings = get_settings()
    assert (settings.max_body_bytes, settings.max_import_body_bytes) == (
        MAX_BODY_BYTES,
        MAX_IMPORT_BODY_BYTES,
    )
