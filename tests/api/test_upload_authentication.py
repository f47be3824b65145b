"""An upload (a multipart request) from a caller without a valid token is refused before its
body is read: 401, a GraphQL error body with the code UNAUTHENTICATED.

Before: the view knew the caller before Strawberry read the body, but read it anyway:
anyone could make the API parse and spool up to IMPORT_MAX_BYTES (50 MB) plus the form
per request, only for startImport to refuse them afterwards.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.cpu import cpu_time
from tests.helpers import Account, GraphQL
from tests.imports.api.support import job_count, upload

PREFLIGHT = {"Apollo-Require-Preflight": "true"}


def _unauthenticated(said: str, reason: str) -> dict:
    message = f"{said} Uploads are taken only from a signed-in caller."
    return {
        "errors": [
            {"message": message, "extensions": {"code": "UNAUTHENTICATED", "reason": reason}}
        ]
    }


NO_TOKEN = _unauthenticated("Sign in first: send Authorization: Bearer <token>.", "MISSING")
# Within the upload limit (50 MB and the form's allowance), so that only the caller is wrong.
ANNOUNCED = 40 * 1024 * 1024
# The server answered in ~10 ms; unfixed, it waited for the 40 MB that never came. So the
# answer's coming at all is the proof, and this timeout only a hang guard.
HANG_GUARD = 10.0
# The CPU time (tests/cpu.py) the process may spend on a refused upload sent whole.
ANSWERED_WITHIN = 2.0


async def _announce_an_upload(server: str, authorization: str | None) -> bytes:
    """Sends the head of a 40 MB upload and its first kilobyte; what the server answers
    (it closes the connection or not), the rest of the body never sent."""
    host, port = server.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        "POST /graphql HTTP/1.1\r\n"
        f"Host: {server}\r\n"
        "Apollo-Require-Preflight: true\r\n"
        + (f"Authorization: {authorization}\r\n" if authorization else "")
        + "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {ANNOUNCED}\r\n\r\n"
    )
    first_kilobyte = (
        '--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        + json.dumps({"query": "{ __typename }"}).ljust(1024)
    )
    writer.write(head.encode() + first_kilobyte.encode())
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), HANG_GUARD)
        rest = b""
        while b"\r\n\r\n" not in rest or not rest.rstrip().endswith(b"}"):
            rest += await asyncio.wait_for(reader.read(4096), HANG_GUARD)
        return status_line + rest
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("authorization", "refusal"),
    [
        (None, NO_TOKEN),
        (
            "Bearer not-a-token",
            _unauthenticated(
                "This token is not one this server issued (mistyped, or cut short?): sign in "
                "again, or send a current API key.",
                "UNKNOWN_TOKEN",
            ),
        ),
        (
            "Basic dXNlcjpwYXNz",
            _unauthenticated(
                "The Authorization header is not of the form Bearer <token>.", "MALFORMED"
            ),
        ),
    ],
    ids=["no-token", "invalid-token", "not-a-bearer"],
)
async def test_an_upload_without_a_valid_token_is_refused_before_its_body_is_read(
    server: str, authorization: str | None, refusal: dict
):
    # when: the head of a 40 MB upload and its first kilobyte; the rest is never sent
    answer = await _announce_an_upload(server, authorization)

    # then: answered without the rest of the body, having read no more than what came
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status_line.startswith(b"HTTP/1.1 401"), answer[:300]
    assert b"www-authenticate: bearer" in headers.lower()
    assert b"content-type: application/json" in headers.lower()
    assert json.loads(body) == refusal


async def test_a_client_sending_its_upload_whole_reads_the_refusal(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # given: an honest client whose token was lost, sending a 5 MB file (the server drops
    # the body as it arrives, so the client finishes sending and reads the answer)
    content = b"name\n" + b"x" * (5 * 1024 * 1024)

    # when
    with cpu_time() as cpu:
        response = await upload(client, None, content, "customers.csv", kind="CUSTOMERS")

    # then
    assert response.status_code == 401, response.text
    assert response.json() == NO_TOKEN
    assert cpu.seconds < ANSWERED_WITHIN, f"answered after {cpu.seconds:.2f} CPU s"
    assert await job_count(gql, workspace.token) == 0


async def test_an_upload_with_a_valid_token_is_read(
    client: httpx.AsyncClient, gql: GraphQL, workspace: Account
):
    # when: the control
    response = await upload(
        client, workspace.token, "客户名称\n云帆科技\n".encode(), "customers.csv", kind="CUSTOMERS"
    )

    # then
    assert response.status_code == 200, response.text
    started = response.json()["data"]["startImport"]
    assert started["errors"] == []
    assert await job_count(gql, workspace.token) == 1
