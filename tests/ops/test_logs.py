"""Log lines carry their context (import, workspace) in text and in JSON."""

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crm.logs import ContextFilter, JSONFormatter, TextFormatter, log_context
from tests.ops.processes import crm_env, crm_serve


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, logging.Handler, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("crm.test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, handler, stream
    finally:
        logger.removeHandler(handler)


def test_json_lines_carry_the_context_and_the_extras(captured):
    # given
    logger, handler, stream = captured
    handler.setFormatter(JSONFormatter())

    # when
    with log_context(import_job_id=7, workspace_id=3):
        logger.info("chunk %s committed", 2, extra={"rows": 1000})
    logger.info("outside")

    # then
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["message"] == "chunk 2 committed"
    assert (inside["import_job_id"], inside["workspace_id"], inside["rows"]) == (7, 3, 1000)
    assert inside["level"] == "INFO" and inside["logger"] == "crm.test.logs"
    assert "import_job_id" not in outside


def test_contexts_nest_and_extras_win(captured):
    # given
    logger, handler, stream = captured
    handler.setFormatter(JSONFormatter())

    # when
    with log_context(workspace_id=3), log_context(import_job_id=7):
        logger.info("nested", extra={"workspace_id": 4})

    # then
    line = json.loads(stream.getvalue())
    assert (line["workspace_id"], line["import_job_id"]) == (4, 7)


def test_text_lines_append_the_context_as_key_value(captured):
    # given
    logger, handler, stream = captured
    handler.setFormatter(TextFormatter())

    # when
    with log_context(import_job_id=7):
        logger.warning("客户 imported")

    # then
    assert stream.getvalue().rstrip().endswith("crm.test.logs: 客户 imported import_job_id=7")


def test_exceptions_are_one_json_line(captured):
    # given
    logger, handler, stream = captured
    handler.setFormatter(JSONFormatter())

    # when
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")

    # then
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "ValueError: boom" in json.loads(lines[0])["exception"]


def test_serve_writes_uvicorns_lines_as_json_too(database: str, tmp_path: Path):
    # given: `crm serve` with LOG_FORMAT=json
    env = crm_env(LOG_FORMAT="json", EMBEDDED_REDIS_PATH=str(tmp_path / "redis.db"))

    with crm_serve(tmp_path, env) as served:
        # when: it is asked for something, and sent what a client gets wrong
        httpx.get(f"{served.base_url}/readyz", timeout=10)
        mistaken = httpx.post(f"{served.base_url}/graphql", json={"query": "{ nope"}, timeout=10)
        httpx.get(f"{served.base_url}/nowhere", timeout=10)

    # then: every line is one JSON object, uvicorn's start-up and access lines among them
    lines = [json.loads(line) for line in served.stderr.read_text().splitlines()]
    assert mistaken.status_code == 200
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers
    access = [line["message"] for line in lines if line["logger"] == "uvicorn.access"]
    assert any('"GET /readyz HTTP/1.1" 200' in message for message in access), access
    # a client's mistakes are not the operator's errors
    assert [line for line in lines if line["level"] in ("ERROR", "CRITICAL")] == []
    assert served.stdout.read_text() == ""
