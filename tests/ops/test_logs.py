"""Log lines carry their context (import, workspace) in text and in JSON."""

import io
import json
import logging
from collections.abc import Iterator

import pytest

from crm.logs import ContextFilter, JSONFormatter, TextFormatter, log_context


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
