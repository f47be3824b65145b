"""JSON Lines: one customer object per line, as integrations and exports produce them."""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Generator
from typing import BinaryIO

from domain.imports.limits import MAX_JSON_DEPTH, MAX_LINE_BYTES, MAX_ROWS
from domain.imports.rows import RawRow, Row, RowProblem, clean_cell, column_name, too_many_rows
from domain.validation import LONE_SURROGATE, has_lone_surrogate, strip_controls


def read_jsonl(source: bytes | BinaryIO) -> Generator[Row, None, None]:
    """Yields (line number, values) for each line; a bad line is a RowProblem, a blank one
    None (see `rows.Row`).

    Nested objects flatten to dotted keys ({"contact": {"name": …}} → "contact.name"),
    lists of plain values join with ", ", and every value becomes text, as in a CSV.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    row_number = 0
    while line := stream.readline(MAX_LINE_BYTES + 1):
        row_number += 1
        if row_number > MAX_ROWS:
            raise too_many_rows()
        if row_number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            _skip_rest_of_line(stream)
            yield row_number, RowProblem("The line is longer than 1 MB.")
            continue
        yield row_number, _parse_line(line) if line.strip() else None


def _parse_line(line: bytes) -> RawRow | RowProblem:
    try:
        value = json.loads(line.rstrip(b"\r\n").decode("utf-8"))
    except UnicodeDecodeError:
        return RowProblem("Not UTF-8 text.")
    except json.JSONDecodeError as error:
        return RowProblem(f"Not valid JSON: {error.msg} (column {error.colno}).")
    except RecursionError:
        # Python's parser recurses per level of nesting: a line of 100,000 "[" raised
        # this out of the reader, and the job was retried for minutes instead.
        return _too_deep()
    if not isinstance(value, dict):
        return RowProblem("Not a JSON object.")
    values: RawRow = {}
    try:
        _flatten(values, "", value, MAX_JSON_DEPTH)
    except _NotText as error:
        return RowProblem(f"The cell “{error.args[0]}” {LONE_SURROGATE}.")
    except (_TooDeep, RecursionError):  # a list within lists within… is written back as JSON
        return _too_deep()
    return values


def _too_deep() -> RowProblem:
    return RowProblem(f"The line nests objects or arrays more than {MAX_JSON_DEPTH} levels deep.")


class _NotText(Exception):
    """A key or value holds a lone surrogate; args[0] names its cell."""


class _TooDeep(Exception):
    """Objects nest past MAX_JSON_DEPTH."""


def _flatten(into: RawRow, prefix: str, value: dict, depth: int) -> None:
    """Flattens `value` into `into`; `depth` is the levels of objects it may still hold."""
    for key, item in value.items():
        name = f"{prefix}{key}"
        if has_lone_surrogate(name):
            raise _NotText(_shown(name))
        if isinstance(item, dict):
            if depth == 1:
                raise _TooDeep
            _flatten(into, f"{name}.", item, depth - 1)
        else:
            text = _text(item)
            if text is not None and has_lone_surrogate(text):
                raise _NotText(_shown(name))
            into[column_name(name) or strip_controls(name)] = text


def _shown(name: str) -> str:
    """A column name fit for a message the database stores: surrogates spelled out as
    \\udxxx, control characters dropped."""
    return strip_controls(name.encode("utf-8", "backslashreplace").decode())


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        if all(isinstance(item, str | int | float) for item in value):
            return clean_cell(", ".join(str(item) for item in value))
        return json.dumps(value, ensure_ascii=False)
    return clean_cell(str(value))


def _skip_rest_of_line(stream: BinaryIO) -> None:
    while chunk := stream.readline(MAX_LINE_BYTES):
        if chunk.endswith(b"\n"):
            return
