"""Uploaded bytes → a stream of rows: which format a file is, and the reader for it.

Every reader yields (row number, values): the number is the row the user sees (in a
CSV file or sheet, the row Excel or WPS shows, the header being row 1; in JSON Lines,
the line); values is {column: text or None}, a RowProblem for a row that could not be
read (the caller records "row N: …" and goes on), or None for a blank row (nothing to
import; yielded so that the caller gets control back, see `rows.Row`). A file that
cannot be read at all, or goes past a bound of `limits.py`, raises ImportFileError.
"""

from __future__ import annotations

import codecs
from collections.abc import Generator
from typing import BinaryIO

from domain.imports.csv_reader import read_csv
from domain.imports.jsonl_reader import read_jsonl
from domain.imports.rows import ImportFileError, RawRow, Row, RowProblem
from domain.imports.xlsx_reader import read_xlsx
from models.enums import ImportFormat

__all__ = [
    "ImportFileError",
    "ImportFormat",
    "RawRow",
    "Row",
    "RowProblem",
    "detect_format",
    "read_csv",
    "read_jsonl",
    "read_rows",
    "read_xlsx",
]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 binary .xls (and .doc) container


def detect_format(filename: str, first_bytes: bytes) -> ImportFormat:
    """The format by content, not by name: users rename files, the bytes do not lie.

    `filename` only serves the error messages.
    """
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

    `format` (the job's, detected or declared when it started) skips the detection.
    """
    if format is None:
        if isinstance(source, bytes | bytearray):
            first_bytes = bytes(source[:512])
        else:
            start = source.tell()
            first_bytes = source.read(512)
            source.seek(start)
        format = detect_format(filename, first_bytes)
    match format:
        case ImportFormat.XLSX:
            return read_xlsx(source, sheet=sheet)
        case ImportFormat.JSONL:
            return read_jsonl(source)
        case _:
            return read_csv(source)
