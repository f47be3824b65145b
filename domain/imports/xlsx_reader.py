"""Excel workbooks (.xlsx), read row by row without loading the sheet."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from domain.imports.rows import ImportFileError, Row, header_names, is_blank, number_rows
from domain.imports.zip_guard import (
    MAX_COMPRESSION_RATIO,
    MAX_UNCOMPRESSED_BYTES,
    check_zip_sizes,
)


def cell_text(value: object) -> str | None:
    """A cell's value as the text a user would have typed into a CSV."""
    if value is None:
        return None
    if isinstance(value, bool):  # before int: bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        # Excel has no date type: a date is a datetime at midnight.
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        # Excel stores every number as a float: 13800138000 comes back as 13800138000.0.
        return str(int(value))
    text = str(value).strip()
    return text or None


def read_xlsx(
    source: bytes | BinaryIO,
    *,
    sheet: str | None = None,
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
    max_ratio: int = MAX_COMPRESSION_RATIO,
) -> Iterator[Row]:
    """Yields (row number, {header: text}) from the first sheet, or the one named `sheet`.

    The header is the first non-empty row; row numbers count from the row after it.
    The zip's declared sizes are checked before openpyxl parses anything; openpyxl
    parses the XML through defusedxml (installed as a dependency), which refuses
    entity expansion.
    """
    try:
        yield from _read(source, sheet, max_uncompressed, max_ratio)
    except ParseError as error:
        # Broken XML, or a character XML cannot hold (&#xD800;, a lone surrogate): the
        # parser cannot go on past it, so the file as a whole is refused.
        raise ImportFileError(
            f"The workbook's XML cannot be read ({error}); save it again from Excel."
        ) from None


def _read(
    source: bytes | BinaryIO, sheet: str | None, max_uncompressed: int, max_ratio: int
) -> Iterator[Row]:
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    check_zip_sizes(stream, max_uncompressed=max_uncompressed, max_ratio=max_ratio)
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise ImportFileError("The file is not a readable .xlsx workbook.") from error
    try:
        worksheet = _worksheet(workbook, sheet)
        records = (
            [cell_text(value) for value in values]
            for values in worksheet.iter_rows(values_only=True)
        )
        header: list[str] | None = None
        for cells in records:
            if not is_blank(cells):
                header = header_names(cells)
                break
        if not header:
            raise ImportFileError("The sheet is empty: no header row found.")
        yield from number_rows(header, records)
    finally:
        workbook.close()  # read-only workbooks keep the archive open until closed


def _worksheet(workbook: openpyxl.Workbook, name: str | None):
    if name is None:
        return workbook.worksheets[0]
    if name not in workbook.sheetnames:
        names = "、".join(workbook.sheetnames)
        raise ImportFileError(f"The workbook has no sheet “{name}” (it has: {names}).")
    return workbook[name]
