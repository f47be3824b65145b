"""Log lines that carry their context: which import, which workspace, which request.

`log_context(import_job_id=…, workspace_id=…)` attaches fields to every record logged
inside it, in this task and the ones it starts, so the runner's and the ORM's lines
about an import say which import they are about without each call passing them. With
LOG_FORMAT=json every line is one JSON object, for log shippers; the text format appends
the same fields as key=value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_context: ContextVar[dict[str, Any]] = ContextVar("crm_log_context", default={})  # noqa: B039

# What every LogRecord has; anything else on a record came from `extra=` or the context.
# (uvicorn adds `color_message`, a duplicate of the message for terminals.)
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items() if key not in _STANDARD}


class ContextFilter(logging.Filter):
    """Copies the context's fields onto each record (fields given with `extra=` win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            record.__dict__.setdefault(key, value)
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = _fields(record)
        if not fields:
            return text
        return text + " " + " ".join(f"{key}={value}" for key, value in fields.items())


def configure_logging(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JSONFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Tortoise says "started" and "shutdown" (with object reprs) at INFO around every
    # command: noise beside an operator's one-line answer. Its warnings still show.
    if level != "DEBUG":
        logging.getLogger("tortoise").setLevel(max(logging.getLevelName(level), logging.WARNING))
