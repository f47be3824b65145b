"""Uploaded bytes → a stream of `rows.Row`s: which format a file is, and its reader (CSV and
JSON Lines here, workbooks in xlsx.py).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Generator, Iterator
from functools import partial
from typing import BinaryIO

from domain.imports.limits import MAX_JSON_DEPTH, MAX_LINE_BYTES, MAX_ROWS
from domain.imports.rows import (
    ImportFileError,
    RawRow,
    Row,
    RowProblem,
    clean_cell,
    column_name,
    number_rows,
    too_many_rows,
)
from domain.imports.xlsx import read_xlsx
from domain.validation import LONE_SURROGATE, has_lone_surrogate, strip_controls
from models.enums import ImportFormat

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 binary .xls (and .doc) container


def detect_format(filename: str, first_bytes: bytes) -> ImportFormat:
    """The format by content, not by name (users rename files); `filename` only serves the
    error messages."""
    if first_bytes.startswith(_ZIP_MAGIC):
        return ImportFormat.XLSX
    if first_bytes.startswith(_OLE_MAGIC):
        raise ImportFileError(
            f"“{filename}” is an old Excel 97–2003 (.xls) workbook; save it as .xlsx or CSV."
        )
    text_start = first_bytes.removeprefix(codecs.BOM_UTF8).lstrip()
    if text_start.startswith(b"{"):
        return ImportFormat.JSONL
    if text_start.startswith(b"["):
        raise ImportFileError(
            f"“{filename}” is a JSON array; send one JSON object per line (JSON Lines)."
        )
    return ImportFormat.CSV


def read_rows(
    source: bytes | BinaryIO,
    *,
    filename: str,
    sheet: str | None = None,
    format: ImportFormat | None = None,
) -> Generator[Row, None, None]:
    """The rows of any supported file; `source` is its bytes or a seekable binary file.
    `format` (the job's, detected or declared when it started) skips the detection."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    if format is None:
        format = detect_format(filename, _peek(stream, 512))
    if format == ImportFormat.XLSX:
        return read_xlsx(stream, sheet=sheet)
    return read_jsonl(stream) if format == ImportFormat.JSONL else read_csv(stream)


def _peek(stream: BinaryIO, size: int) -> bytes:
    start = stream.tell()
    first = stream.read(size)
    stream.seek(start)
    return first


# Enough to hold the header line and some rows: the sample decides the encoding and the
# delimiter, the rest of the file is decoded as it streams past.
_SAMPLE_SIZE = 64 * 1024
_DELIMITERS = (",", ";", "\t")
_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (BOM only) or GB18030: Excel on a Chinese Windows
    saves "CSV" in GBK, which GB18030 extends, so bytes that are not UTF-8 are taken for it."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # final=False: the sample may end in the middle of a multibyte character.
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def detect_delimiter(first_line: str) -> str:
    """The delimiter most often in the header line, outside quotes: steadier than
    csv.Sniffer, which guesses from rows whose free text (addresses, notes) is full of commas."""
    unquoted = _QUOTED.sub("", first_line)
    best = max(_DELIMITERS, key=unquoted.count)  # the first of the most, "," on a tie
    return best if unquoted.count(best) else ","


def read_csv(source: bytes | BinaryIO) -> Generator[Row, None, None]:
    """The rows of a CSV file, its bytes or a seekable binary file: decoded as it is read,
    never held whole as text."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    sample = _peek(stream, _SAMPLE_SIZE)
    encoding = detect_encoding(sample)
    decoded = codecs.getincrementaldecoder(encoding)("replace").decode(sample, final=False)
    header = next((line for line in decoded.splitlines() if line.strip()), "")
    # newline="": the csv module itself handles newlines inside quoted cells.
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    records = csv.reader(_lines(text), delimiter=detect_delimiter(header))
    try:
        yield from number_rows(
            enumerate(records, start=1), no_header="The file is empty: no header row found."
        )
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is not valid {error.encoding} text after line {records.line_num}; "
            "save it as UTF-8 CSV."
        ) from error
    except csv.Error as error:
        raise ImportFileError(f"Line {records.line_num} cannot be read as CSV: {error}.") from error
    finally:
        # Leave the caller's file open: closing the wrapper would close it too.
        text.detach()


def _lines(text: io.TextIOWrapper) -> Iterator[str]:
    """The file's lines, one longer than MAX_LINE_BYTES characters refused before the csv
    module makes a cell of each of its commas."""
    for number, line in enumerate(iter(partial(text.readline, MAX_LINE_BYTES + 1), ""), start=1):
        if len(line) > MAX_LINE_BYTES and line[-1] not in "\r\n":
            raise ImportFileError(
                f"Line {number:,} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB, "
                "which no spreadsheet writes; is it a CSV file?"
            )
        yield line


def read_jsonl(source: bytes | BinaryIO) -> Generator[Row, None, None]:
    """The rows of a JSON Lines file, one object per line (a line that is not one is a
    RowProblem): nested objects flatten to dotted keys ({"contact": {"name": …}} →
    "contact.name"), lists of plain values join with ", ", every value becomes text."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    for row_number, line in enumerate(iter(partial(stream.readline, MAX_LINE_BYTES + 1), b""), 1):
        if row_number > MAX_ROWS:
            raise too_many_rows()
        if row_number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass  # the rest of the line, skipped
            yield row_number, RowProblem("The line is longer than 1 MB.")
            continue
        yield row_number, _parse_line(line) if line.strip() else None


_TOO_DEEP = RowProblem(f"The line nests objects or arrays more than {MAX_JSON_DEPTH} levels deep.")


def _parse_line(line: bytes) -> RawRow | RowProblem:
    values: RawRow = {}
    try:
        value = json.loads(line.rstrip(b"\r\n").decode("utf-8"))
        if not isinstance(value, dict):
            return RowProblem("Not a JSON object.")
        problem = _flatten(values, "", value, MAX_JSON_DEPTH)
    except UnicodeDecodeError:
        return RowProblem("Not UTF-8 text.")
    except json.JSONDecodeError as error:
        return RowProblem(f"Not valid JSON: {error.msg} (column {error.colno}).")
    except RecursionError:
        # Python's parser recurses per level of nesting (a line of 100,000 "[" raised this
        # out of the reader, and the job was retried for minutes instead), and so does
        # writing back as JSON a list within lists within….
        return _TOO_DEEP
    return values if problem is None else problem


def _flatten(into: RawRow, prefix: str, value: dict, depth: int) -> RowProblem | None:
    """Flattens `value` into `into`, `depth` the levels of objects it may still hold; or
    says why it cannot be a row."""
    for key, item in value.items():
        name = f"{prefix}{key}"
        if has_lone_surrogate(name):
            return _not_text(name)
        if isinstance(item, dict):
            problem = _TOO_DEEP if depth == 1 else _flatten(into, f"{name}.", item, depth - 1)
            if problem is not None:
                return problem
        else:
            text = _text(item)
            if text is not None and has_lone_surrogate(text):
                return _not_text(name)
            into[column_name(name) or strip_controls(name)] = text
    return None


def _not_text(name: str) -> RowProblem:
    # The column named fit for a message the database stores: surrogates spelled out as
    # \udxxx, control characters dropped.
    shown = strip_controls(name.encode("utf-8", "backslashreplace").decode())
    return RowProblem(f"The cell “{shown}” {LONE_SURROGATE}.")


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
