"""CSV files as Excel and WPS save them in China and elsewhere: encoding and delimiter guessed."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Generator, Iterator
from typing import BinaryIO

from domain.imports.limits import MAX_LINE_BYTES
from domain.imports.rows import ImportFileError, Row, number_rows

# Enough to hold the header line and some rows: the sample decides the encoding and the
# delimiter, the rest of the file is decoded as it streams past.
SAMPLE_SIZE = 64 * 1024
DELIMITERS = (",", ";", "\t")
_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (BOM only) or GB18030.

    Excel on a Chinese Windows saves "CSV" in GBK, which GB18030 extends; any byte
    sequence that is not valid UTF-8 is taken for it.
    """
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
    """The delimiter that occurs most often in the header line, outside quotes.

    Counting on the header is steadier than csv.Sniffer, which guesses from rows whose
    free text (addresses, notes) is full of commas.
    """
    unquoted = _QUOTED.sub("", first_line)
    counts = {delimiter: unquoted.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _first_line(sample: bytes, encoding: str) -> str:
    text = codecs.getincrementaldecoder(encoding)("replace").decode(sample, final=False)
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def read_csv(source: bytes | BinaryIO) -> Generator[Row, None, None]:
    """Yields (row number, {header: cell}) for each record after the header (see `Row`).

    `source` is the file's bytes or a seekable binary file; it is decoded as it is read,
    never held whole as text. Cells are stripped and empty cells are None.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    start = stream.tell()
    sample = stream.read(SAMPLE_SIZE)
    stream.seek(start)
    encoding = detect_encoding(sample)
    delimiter = detect_delimiter(_first_line(sample, encoding))

    # newline="": the csv module itself handles newlines inside quoted cells.
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        records = csv.reader(_lines(text), delimiter=delimiter)
        yield from number_rows(
            enumerate(_records(records), start=1),
            no_header="The file is empty: no header row found.",
        )
    finally:
        # Leave the caller's file open: closing the wrapper would close it too.
        text.detach()


def _lines(text: io.TextIOWrapper) -> Iterator[str]:
    """The file's lines, none read whole past MAX_LINE_BYTES characters: the csv module would
    make a cell of every comma of a line however long (50 MB of them, 50 million cells)."""
    readline = text.readline
    number = 0
    while line := readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES and line[-1] not in "\r\n":
            raise ImportFileError(
                f"Line {number:,} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB, "
                "which no spreadsheet writes; is it a CSV file?"
            )
        yield line


def _records(records: Iterator[list[str]]) -> Iterator[list[str]]:
    """The csv reader's records, with its failures turned into a message for the uploader."""
    try:
        yield from records
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is not valid {error.encoding} text after line {_line(records)}; "
            "save it as UTF-8 CSV."
        ) from error
    except csv.Error as error:
        raise ImportFileError(f"Line {_line(records)} cannot be read as CSV: {error}.") from error


def _line(records: Iterator[list[str]]) -> int:
    return getattr(records, "line_num", 0)
