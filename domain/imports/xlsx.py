"""Excel workbooks (.xlsx), read row by row: only the cells a sheet's XML holds, none made up.

openpyxl's read-only worksheet (`_read_only.ReadOnlyWorksheet._cells_by_row`) pads every
row to the width the sheet's `<dimension>` declares and makes an empty row for every row
number the XML skips; even with the dimension reset, a row is as wide as its last cell.
A 1.6 KB file declaring `A1:XFD1048576`, or holding one cell at XFD1 and one row at
1048576, then costs billions of empty cells. And opening a workbook read-only parses each
sheet without a `<dimension>` whole, once per sheet, looking for one.

So openpyxl reads only the small parts here (the manifest, the workbook and its
relationships, each at most MAX_PART_BYTES_READ_WHOLE: zip_guard.py), and the styles
(xlsx_styles.py: which cell formats are dates), the shared strings and the sheet are walked
as they stream past, through defusedxml as openpyxl does, each cell typed by openpyxl's own
`parse_cell` (strings' text is read here, as openpyxl's `Text` would give it, without
building one). A row is only as wide as its last value, and each row, string or style
leaves the tree once read, so memory stays flat however long the sheet, but for the shared
strings, which the cells point into and are held while the sheet is read (at most
MAX_SHARED_STRINGS_BYTES); what may pile up before the first row is bounded (limits.py).
Every walk hands control back as it goes (records numbered 0 with no cells while the
styles and strings load): whoever reads the rows can stop them within a moment (runner.py).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from sys import getsizeof
from typing import BinaryIO, cast
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import coordinate_to_tuple, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import (
    CELL_TAG,
    DATA_TAG,
    INLINE_STRING,
    ROW_TAG,
    WorkSheetParser,
)
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from domain.imports.limits import (
    MAX_CELLS_PER_SHEET_ROW,
    MAX_COLUMNS,
    MAX_ELEMENTS_PER_SHEET_ROW,
    MAX_SHARED_STRINGS_BYTES,
)
from domain.imports.rows import ImportFileError, Row, number_rows, too_wide
from domain.imports.xlsx_styles import STYLES_PART, DateFormats, read_date_formats
from domain.imports.zip_guard import WholeReadsCapped, check_zip_sizes

# What a sheet's rows are made of (Row): (row number, cell texts from column A).
SheetRow = tuple[int, list[str | None]]
# Handed out while the styles and shared strings load: no row, only control back.
_PAUSE: SheetRow = (0, [])
_STRINGS_BETWEEN_PAUSES = 1000

_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"
_STRING_TABLE_TAG = f"{{{SHEET_MAIN_NS}}}sst"


def read_xlsx(source: bytes | BinaryIO, *, sheet: str | None = None) -> Generator[Row, None, None]:
    """Yields (row number, {header: text}) from the first sheet, or the one named `sheet`,
    the header being its first non-empty row. The zip's declared sizes are checked before
    openpyxl parses anything; a workbook that cannot be read raises ImportFileError."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    check_zip_sizes(stream)
    with _readable(loading=True):
        workbook = Workbook(stream)
    try:
        yield from number_rows(
            _parsed(workbook, sheet), no_header="The sheet is empty: no header row found."
        )
    finally:
        workbook.close()  # the archive stays open while the sheet streams


def _parsed(workbook: Workbook, sheet: str | None) -> Iterator[SheetRow]:
    """The sheet's records; only the parsing is wrapped, not what our own code does with
    them (`number_rows`), so that a bug of ours is logged as one, not blamed on the file."""
    with _readable(loading=False):
        yield from workbook.rows(sheet)


@contextmanager
def _readable(*, loading: bool) -> Iterator[None]:
    """Turns what the parsers raise on a damaged or forged workbook (never a passing trouble
    worth retrying) into an ImportFileError saying why."""
    try:
        yield
    except ImportFileError:
        raise
    except DefusedXmlException as error:
        raise ImportFileError(
            "The workbook's XML declares entities, a DTD or outside references, which no "
            "spreadsheet program writes (a known way to make a reader blow up or fetch "
            "files); it was refused."
        ) from error
    except ParseError as error:
        # Broken XML, or a character XML cannot hold (&#xD800;, a lone surrogate).
        raise ImportFileError(
            f"The workbook is damaged: part of it is not valid XML ({error}). Open it in "
            "Excel or WPS and save it again."
        ) from error
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ImportFileError(
            "The workbook is damaged: its zip archive cannot be unpacked. Open it in Excel "
            "or WPS and save it again."
        ) from error
    # (DefusedXmlException, caught above, is a ValueError; so is a bad number.)
    except (
        InvalidFileException,
        KeyError,
        IndexError,
        ValueError,
        TypeError,
        OverflowError,
        OSError,
    ) as error:
        if loading:
            raise ImportFileError("The file is not a readable .xlsx workbook.") from error
        if isinstance(error, OSError):
            raise  # reading our own temporary copy failed: a passing trouble, retried
        raise ImportFileError(
            f"The workbook is damaged: its sheet cannot be read ({type(error).__name__}: "
            f"{error}). Open it in Excel or WPS and save it again."
        ) from error


class Workbook:
    """An .xlsx file opened for reading one sheet; raises what openpyxl raises on a bad one."""

    def __init__(self, stream: BinaryIO, *, max_strings_bytes: int = MAX_SHARED_STRINGS_BYTES):
        # External links hold cached copies of other workbooks' cells: never read.
        reader = ExcelReader(stream, read_only=True, data_only=True, keep_links=False)
        # The wrapper offers what openpyxl uses of its ZipFile (`read`, `open`, `namelist`…).
        reader.archive = cast(zipfile.ZipFile, WholeReadsCapped(reader.archive))
        try:
            reader.read_manifest()
            reader.read_workbook()
        except BaseException:
            reader.archive.close()
            raise
        self._reader = reader
        self._max_strings_bytes = max_strings_bytes
        # Worksheets by name, in the workbook's order (chartsheets hold no cells).
        self.sheets = {
            sheet.name: rel.target
            for sheet, rel in reader.parser.find_sheets()
            if "chartsheet" not in rel.Type and rel.target in reader.valid_files
        }

    def close(self) -> None:
        self._reader.archive.close()

    def rows(self, name: str | None = None) -> Iterator[SheetRow]:
        """(row number, cell texts from column A) of each row the sheet's XML holds, in
        order: the first sheet's, or the one named `name`.

        A row's texts end at its last cell holding one (`cell_text`); a value past
        MAX_COLUMNS, or a row of more cell elements than Excel has columns, fails the
        file, and so does a row numbered at or below the one before it (`_out_of_order`):
        every row read is handed out, so that the reader gets control back after each.
        """
        if name is None:
            if not self.sheets:
                raise ImportFileError("The workbook has no sheet of cells.")
            name = next(iter(self.sheets))
        if name not in self.sheets:
            names = "、".join(self.sheets)
            raise ImportFileError(f"The workbook has no sheet “{name}” (it has: {names}).")
        formats = DateFormats()
        if STYLES_PART in self._reader.valid_files:
            with self._reader.archive.open(STYLES_PART) as source:
                formats = yield from read_date_formats(source, _PAUSE)
        strings: list[str] = []
        yield from self._shared_strings(strings)
        yield from self._sheet_rows(self.sheets[name], strings, formats)

    def _shared_strings(self, strings: list[str]) -> Iterator[SheetRow]:
        """Fills `strings` as openpyxl's `read_string_table` does, pausing every thousand;
        fails the file once they take more than `max_strings_bytes`."""
        part = self._reader.package.find(SHARED_STRINGS)
        if part is None:
            return
        held = 0  # bytes the strings take: each one's size and its place in the list
        with self._reader.archive.open(part.PartName[1:]) as source:
            table = None  # the <sst> element, whose strings leave the tree once read
            opened = 0  # elements opened since the last string, held till it ends
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    if element.tag == _STRING_TABLE_TAG:
                        table = element
                    elif (opened := opened + 1) > MAX_ELEMENTS_PER_SHEET_ROW:
                        raise _too_many_elements("a shared string")
                    continue
                if element.tag == _STRING_TAG:
                    text = _plain_text(element).replace("x005F_", "")
                    strings.append(text)
                    if table is not None:
                        table.clear()
                    opened = 0
                    held += getsizeof(text) + 8
                    if held > self._max_strings_bytes:
                        raise _too_much_text(self._max_strings_bytes)
                    if len(strings) % _STRINGS_BETWEEN_PAUSES == 0:
                        yield _PAUSE

    def _sheet_rows(
        self, path: str, strings: list[str], formats: DateFormats
    ) -> Iterator[SheetRow]:
        parser = WorkSheetParser(
            io.BytesIO(),  # its own source is never read: the rows are walked here, cell by cell
            strings,
            data_only=True,
            epoch=self._reader.wb.epoch,
            date_formats=formats.dates,
            timedelta_formats=formats.durations,
        )
        parse_cell = parser.parse_cell
        data = None  # the <sheetData> element, whose rows leave the tree once read
        last = 0  # the number of the row read last
        cells: list[tuple[int, str]] = []  # (column, text) of the row being read
        width = 0  # the column of its last text
        count = 0  # its cell elements so far
        # Elements opened since the last row (or the start), each held till that row ends:
        # counted as they open, so that endless nesting, which never ends, is refused too.
        opened = 0
        with self._reader.archive.open(path) as source:
            for event, element in iterparse(source, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    if tag == DATA_TAG:
                        data = element
                    elif (opened := opened + 1) > MAX_ELEMENTS_PER_SHEET_ROW:
                        raise _too_many_elements(f"row {last + 1:,} of the sheet")
                    continue
                if tag == ROW_TAG:
                    number = _row_number(element.get("r"), last)
                    if number <= last:
                        raise _out_of_order(number, last)
                    if data is not None:
                        data.clear()
                    yield number, _texts(cells, width, number)
                    last = number
                    parser.col_counter = 0  # cells without a reference count from column A
                    parser.row_counter = number
                    cells = []
                    count = width = opened = 0
                    continue
                if tag == CELL_TAG:
                    if (count := count + 1) > MAX_CELLS_PER_SHEET_ROW:
                        raise _too_many_cells(last + 1)
                    if element.get("t") == "inlineStr":
                        column = _column(element, parser)
                        content = element.find(INLINE_STRING)
                        text = None if content is None else cell_text(_plain_text(content))
                    else:
                        cell = parse_cell(element)
                        column = cell["column"]
                        text = cell_text(cell["value"])
                    if text is not None:
                        cells.append((column, text))
                        if column > width:
                            width = column
                elif tag == DATA_TAG:
                    return  # what follows the cells (merged ranges, links…) is not read


def _column(cell: Element, parser: WorkSheetParser) -> int:
    """The cell's column, as `parse_cell` finds it: from its reference, or next to the last."""
    reference = cell.get("r")
    if reference:
        parser.col_counter = coordinate_to_tuple(reference)[1]
    else:
        parser.col_counter += 1
    return parser.col_counter


def _plain_text(node: Element) -> str:
    """A shared or inline string's text as openpyxl's `Text.from_tree(node).content` gives
    it (its last <t>, then each rich-text run's last <t>; phonetic hints left out), without
    the objects openpyxl builds on the way: a fifth of the time a sheet of text takes."""
    plain = None
    runs = []
    for child in node:
        name = child.tag.rpartition("}")[2]
        if name == "t":
            plain = child.text
        elif name == "r":
            run = None
            for part in child:
                if part.tag.rpartition("}")[2] == "t":
                    run = part.text
            if run is not None:
                runs.append(run)
    if plain is None:
        return "".join(runs)
    return plain + "".join(runs) if runs else plain


def _row_number(reference: str | None, last: int) -> int:
    if reference is None:
        return last + 1
    try:
        return int(reference)
    except ValueError:
        number = float(reference)  # openpyxl reads "5.0"; anything else is not a number
        if not number.is_integer():
            raise ValueError(f"“{reference}” is not a row number") from None
        return int(number)


def _texts(cells: list[tuple[int, str]], width: int, number: int) -> list[str | None]:
    if width > MAX_COLUMNS:
        raise too_wide(number, width, get_column_letter(width))
    texts: list[str | None] = [None] * width
    for column, text in cells:
        texts[column - 1] = text
    return texts


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


def _too_many_cells(number: int) -> ImportFileError:
    return ImportFileError(
        f"Row {number:,} of the sheet (or the row after it) has more than "
        f"{MAX_CELLS_PER_SHEET_ROW:,} cells, more than Excel allows; the workbook is damaged "
        "or was not made by a spreadsheet program."
    )


def _too_many_elements(where: str) -> ImportFileError:
    return ImportFileError(
        f"The XML of {where} holds more than {MAX_ELEMENTS_PER_SHEET_ROW:,} elements, which "
        "no spreadsheet program writes; the workbook was refused."
    )


def _out_of_order(number: int, last: int) -> ImportFileError:
    # Spreadsheet programs write a sheet's rows in order. openpyxl skips a row numbered at
    # or below the last, and so did this reader: a file of millions of <row r="1"/> was
    # read without one row handed out (33 s for 33 MB), the worker's event loop blocked.
    return ImportFileError(
        f"The sheet's XML holds row {number:,} after row {last:,}, but a sheet's rows go down "
        "in order in every workbook a spreadsheet program writes; the workbook is damaged. "
        "Open it in Excel or WPS and save it again."
    )


def _too_much_text(limit: int) -> ImportFileError:
    return ImportFileError(
        f"The workbook holds more text than an import keeps at once (its shared strings "
        f"take more than {limit // (1024 * 1024)} MB); save the sheet as CSV, or split it "
        "into smaller workbooks."
    )
