"""What /graphql refuses at the HTTP level it answers as GraphQL: {"errors": [{"message",
"extensions": {"code"}}]} with the status that says why, never plain text."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.helpers import Account

PREFLIGHT = {"Apollo-Require-Preflight": "true"}


def _only_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["errors"], body
    [error] = body["errors"]
    return error


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_a_method_other_than_get_and_post_is_405(client: httpx.AsyncClient, method: str):
    # when
    response = await client.request(method, "/graphql", json={"query": "{ __typename }"})

    # then
    error = _only_error(response, 405)
    assert error["extensions"] == {"code": "METHOD_NOT_ALLOWED"}
    assert response.headers["allow"] == "GET, POST"


async def test_a_content_type_other_than_json_or_multipart_is_refused(
    client: httpx.AsyncClient,
):
    # when
    response = await client.post(
        "/graphql", content=b"{ __typename }", headers={"Content-Type": "text/plain"}
    )

    # then
    error = _only_error(response, 400)
    assert error == {"message": "Unsupported content type", "extensions": {"code": "BAD_REQUEST"}}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param({}, "No GraphQL query", id="no-query"),
        pytest.param({"query": 42}, "must be a string", id="query-not-a-string"),
        pytest.param({"query": "{ __typename }", "variables": [1]}, "object", id="variables-list"),
        pytest.param([{"query": "{ __typename }"}], "Batching", id="a-batch"),
    ],
)
async def test_a_request_strawberry_cannot_run_is_a_bad_request(
    client: httpx.AsyncClient, body: object, words: str
):
    # when
    response = await client.post("/graphql", json=body)

    # then
    error = _only_error(response, 400)
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert words in error["message"]


async def test_an_upload_without_a_preflight_header_is_a_graphql_error(
    client: httpx.AsyncClient, workspace: Account
):
    # when: what a form on another web site could post
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps({"query": "{ __typename }"}), "map": "{}"},
        files={"0": ("a.csv", b"name\n", "text/csv")},
        headers={"Authorization": f"Bearer {workspace.token}"},
    )

    # then
    error = _only_error(response, 400)
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert "Apollo-Require-Preflight" in error["message"]


async def test_an_upload_with_unreadable_operations_is_a_bad_request(
    client: httpx.AsyncClient, workspace: Account
):
    # when
    response = await client.post(
        "/graphql",
        data={"operations": '{"query": ' + "[" * 1000, "map": "{}"},
        files={"0": ("a.csv", b"name\n", "text/csv")},
        headers={**PREFLIGHT, "Authorization": f"Bearer {workspace.token}"},
    )

    # then
    error = _only_error(response, 400)
    assert error["extensions"] == {"code": "BAD_REQUEST"}


async def test_an_upload_announced_over_its_limit_is_a_graphql_error(server: str):
    # given: IMPORT_MAX_BYTES (50 MB) is the multipart limit, not MAX_BODY_BYTES; a request
    # that says 60 MB are coming, and sends a few bytes
    host, port = server.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        (
            "POST /graphql HTTP/1.1\r\n"
            f"Host: {server}\r\n"
            "Apollo-Require-Preflight: true\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {60 * 1024 * 1024}\r\n\r\n"
            "--b\r\n"
        ).encode()
    )
    await writer.drain()

    # when
    response = await asyncio.wait_for(reader.read(), 10)  # the server closes the connection
    writer.close()

    # then
    status, _, rest = response.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 413"), status
    assert b"content-type: application/json" in headers.lower()
    assert json.loads(body) == {
        "errors": [
            {
                "message": "The file is larger than 50 MB.",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
            }
        ]
    }
