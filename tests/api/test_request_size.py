"""A request body costs at most its limit (MAX_BODY_BYTES, 1 MiB by default), whoever sends it.

The hostile cases run against a real `crm serve` process on the suite's database, whose
peak memory (VmHWM) is read from /proc: before the limit, a 300 MB body took the API
from 243 MB to 821 MB.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.ops.processes import Served, crm_env, crm_serve
from tests.subscriptions import PROTOCOL, receive

MAX_BODY_BYTES = 1024 * 1024
HUGE = 300 * 1024 * 1024
CHUNK = b"a" * (64 * 1024)
# A peak past this (in kB) means the server held the body, or a good part of it.
PEAK_GROWTH_LIMIT_KB = 16 * 1024
JSON = {"Content-Type": "application/json"}
TOO_LARGE = {
    "errors": [
        {
            "message": f"The request body is larger than the limit of {MAX_BODY_BYTES:,} bytes.",
            "extensions": {"code": "PAYLOAD_TOO_LARGE"},
        }
    ]
}


@pytest.fixture(scope="module")
def served(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`crm serve` as deployed, on the suite's database (and a Redis of its own on SQLite)."""
    workdir = tmp_path_factory.mktemp("serve")
    env = crm_env(EMBEDDED_REDIS_PATH=str(workdir / "redis.db"))
    with crm_serve(workdir, env) as served:
        yield served


def _peak_memory_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/status")


def _huge_body(sent: list[int]) -> Iterator[bytes]:
    """300 MB of one JSON string, streamed (chunked): never built, so it costs the test nothing.
    Adds up in `sent` the bytes the client was asked for, which is as many as the server took
    (give or take the sockets' buffers)."""
    for chunk in (b'{"query": "', *(CHUNK for _ in range(HUGE // len(CHUNK))), b'"}'):
        sent[0] += len(chunk)
        yield chunk


def test_a_streamed_body_is_cut_off_once_it_passes_the_limit(served: Served):
    # given
    url = f"{served.base_url}/graphql"
    peak_before = _peak_memory_kb(served.process.pid)
    sent = [0]

    # when
    response = httpx.post(url, content=_huge_body(sent), headers=JSON, timeout=120)
    growth = _peak_memory_kb(served.process.pid) - peak_before

    # then: refused at about the first megabyte, the rest never read: the client stopped
    # sending when the server closed the connection (a count of bytes, where a bound on the
    # seconds taken varied with the machine's load)
    assert response.status_code == 413, response.text
    assert response.json() == TOO_LARGE
    assert sent[0] < HUGE // 10, f"{sent[0]:,} bytes sent before the answer"
    assert growth < PEAK_GROWTH_LIMIT_KB, f"the server's peak memory grew by {growth} kB"
    # and the server goes on serving
    assert httpx.get(f"{served.base_url}/healthz", timeout=10).status_code == 200


async def test_a_body_announced_over_the_limit_is_refused_before_it_is_read(served: Served):
    # given: a request that says 300 MB are coming, and sends a few bytes
    host, port = served.base_url.removeprefix("http://").split(":")
    peak_before = _peak_memory_kb(served.process.pid)
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        "POST /graphql HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {HUGE}\r\n\r\n"
        '{"query": "'
    )

    # when: the timeouts are hang guards; a server that waited for the body would never answer
    writer.write(head.encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    rest = await asyncio.wait_for(reader.read(), 10)  # the server closes the connection
    writer.close()

    # then: answered without waiting for the body, of which a few bytes were ever sent
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"connection: close" in headers.lower()
    assert json.loads(body) == TOO_LARGE
    assert _peak_memory_kb(served.process.pid) - peak_before < PEAK_GROWTH_LIMIT_KB


async def test_a_websocket_message_over_the_limit_closes_the_socket(served: Served):
    # given: a signed-in socket (anonymous is enough to send messages)
    url = served.base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=[PROTOCOL], max_size=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(ws))["type"] == "connection_ack"
        message = json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": "{ __typename }" + " " * 5 * 2**20},
            }
        )

        # when: a 5 MB message (uvicorn's own limit was 16 MiB); the timeout is a hang guard
        await ws.send(message)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)

    # then: "message too big", before the message was read whole (a server that read it
    # would have answered the operation instead)
    assert closed.value.rcvd is not None, "the server never closed the socket"
    assert closed.value.rcvd.code == 1009
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(f"{served.base_url}/healthz")).status_code == 200


# ---------------------------------------------------------------- at the limit


def _padded_query(size: int) -> bytes:
    """A valid request of exactly `size` bytes (blanks are no tokens)."""
    head, tail = b'{"query": "{ __typename }', b'"}'
    return head + b" " * (size - len(head) - len(tail)) + tail


async def test_a_body_at_the_limit_is_read(client: httpx.AsyncClient):
    # when
    response = await client.post("/graphql", content=_padded_query(MAX_BODY_BYTES), headers=JSON)

    # then
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_body_one_byte_over_the_limit_is_refused(client: httpx.AsyncClient):
    # when
    response = await client.post(
        "/graphql", content=_padded_query(MAX_BODY_BYTES + 1), headers=JSON
    )

    # then
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


async def test_a_streamed_body_one_byte_over_the_limit_is_refused(client: httpx.AsyncClient):
    # given: no Content-Length, so the server learns the size only as it reads
    async def chunks() -> AsyncIterator[bytes]:
        body = _padded_query(MAX_BODY_BYTES + 1)
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    # when
    response = await client.post("/graphql", content=chunks(), headers=JSON)

    # then
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


def test_the_suite_uses_the_default_limit():
    # The figures above assume the default; a changed default must change them too.
    from crm.settings import get_settings

    assert get_settings().max_body_bytes == MAX_BODY_BYTES
