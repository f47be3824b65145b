"""Excel workbooks (.xlsx), read row by row: only the cells a sheet's XML holds, none made up.

openpyxl's read-only worksheet (`_read_only.ReadOnlyWorksheet._cells_by_row`) pads every
row to the width the sheet's `<dimension>` declares and makes an empty row for every row
number the XML skips (even with the dimension reset, a row is as wide as its last cell): a
1.6 KB file declaring `A1:XFD1048576`, or holding one cell at XFD1 and one row at 1048576,
costs billions of empty cells; and opening a workbook read-only parses each sheet without a
`<dimension>` whole, once per sheet, looking for one.

So openpyxl reads only the small parts (`WholeReadsCapped`); the rest streams past here, through
defusedxml as openpyxl does, each cell typed by openpyxl's own `parse_cell` (what may pile
up is bounded in limits.py, and `_PAUSE` hands control back: docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from sys import getsizeof
from typing import IO, Any, BinaryIO, cast
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils import coordinate_to_tuple, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import CELL_TAG, DATA_TAG, INLINE_STRING, ROW_TAG, WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from domain.imports.limits import (
    MAX_CELL_FORMATS,
    MAX_CELLS_PER_SHEET_ROW,
    MAX_COLUMNS,
    MAX_COMPRESSION_RATIO,
    MAX_ELEMENTS_PER_SHEET_ROW,
    MAX_FORMAT_CODE,
    MAX_PART_BYTES_READ_WHOLE,
    MAX_SHARED_STRINGS_BYTES,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_DIRECTORY_BYTES,
)
from domain.imports.rows import ImportFileError, Row, number_rows, too_wide
from domain.validation import strip_controls

# A sheet's record, handed out as soon as it is read: (row number, cell texts from column A
# up to its last text).
SheetRow = tuple[int, list[str | None]]
# Handed out while the styles and shared strings load: no row, only control back.
_PAUSE: SheetRow = (0, [])
_PAUSE_EVERY = 1000  # strings or style elements walked
# openpyxl reads the styles from this part only (`openpyxl.xml.constants.ARC_STYLE`).
_STYLES_PART = "xl/styles.xml"
# Elements open at once in the styles: a real part nests six or seven deep (an extension's list).
_MAX_STYLES_DEPTH = 32

_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"
_STRING_TABLE_TAG = f"{{{SHEET_MAIN_NS}}}sst"


def read_xlsx(source: bytes | BinaryIO, *, sheet: str | None = None) -> Generator[Row, None, None]:
    """The rows of the first sheet, or of the one named `sheet` (its header: its first
    non-empty row); its zip's declared sizes are checked before openpyxl parses anything."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    check_zip_sizes(stream)
    with _readable(loading=True):
        workbook = Workbook(stream)
    try:
        yield from number_rows(
            workbook.rows(sheet), no_header="The sheet is empty: no header row found."
        )
    finally:
        workbook.close()  # the archive stays open while the sheet streams


@contextmanager
def _readable(*, loading: bool) -> Iterator[None]:
    """Turns what the parsers raise on a damaged or forged workbook (never a passing trouble
    worth retrying) into an ImportFileError saying why."""
    try:
        yield
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


# Small members may compress absurdly well (a sheet of one repeated value) and still
# cannot hurt; the ratio is only checked where the size could matter.
_RATIO_CHECKED_FROM = 1024 * 1024
# zipfile's private reader of the record at a zip's end, and the index of the directory's
# size in what it returns: private, so typeshed leaves them out; typed here as used.
_end_record: Callable[[BinaryIO], list[Any] | None] = vars(zipfile)["_EndRecData"]
_ECD_SIZE: int = vars(zipfile)["_ECD_SIZE"]


def check_zip_sizes(stream: BinaryIO, *, max_uncompressed: int = MAX_UNCOMPRESSED_BYTES) -> None:
    """Reads only the zip's central directory; raises ImportFileError for a likely bomb.
    Its declared sizes can be trusted: zipfile unpacks no member past its declared size."""
    start = stream.tell()
    try:
        # The directory is refused past MAX_ZIP_DIRECTORY_BYTES before zipfile reads it: it
        # makes an object of every entry, twice (here and in openpyxl), however many the
        # record at the zip's end declares (25 MB of empty members: 4 s and 300 MB).
        end = _end_record(stream)  # None: no zip
        if end is not None and end[_ECD_SIZE] > MAX_ZIP_DIRECTORY_BYTES:
            raise ImportFileError(
                "The workbook's zip lists its parts in more than "
                f"{MAX_ZIP_DIRECTORY_BYTES // 1024:,} KB (tens of thousands of parts, where a "
                "workbook has tens or hundreds); it was refused."
            )
        with zipfile.ZipFile(stream) as archive:
            sizes = [(member.file_size, member.compress_size) for member in archive.infolist()]
    except zipfile.BadZipFile as error:
        raise ImportFileError("The file is not a valid .xlsx workbook (a zip archive).") from error
    finally:
        stream.seek(start)
    total = sum(size for size, _ in sizes)
    if total > max_uncompressed:
        raise ImportFileError(
            f"The workbook unpacks to {total // (1024 * 1024)} MB, more than the "
            f"{max_uncompressed // (1024 * 1024)} MB an import accepts; split it into "
            "smaller files."
        )
    sizes.append((total, sum(packed for _, packed in sizes)))  # the whole, and each member
    if any(
        size >= _RATIO_CHECKED_FROM and size > MAX_COMPRESSION_RATIO * max(packed, 1)
        for size, packed in sizes
    ):
        raise ImportFileError(
            f"The workbook is compressed more than {MAX_COMPRESSION_RATIO}:1, which real "
            "spreadsheets never are; it was refused as a possible zip bomb."
        )


class WholeReadsCapped:
    """A workbook's zip as openpyxl reads it: a part it reads whole (`read`) is refused past
    MAX_PART_BYTES_READ_WHOLE; the parts it streams (`open`) are bounded by their walks."""

    def __init__(self, archive: zipfile.ZipFile):
        self._archive = archive

    def read(self, name: str) -> bytes:
        size = self._archive.getinfo(name).file_size  # KeyError when missing, as zipfile's
        if size > MAX_PART_BYTES_READ_WHOLE:
            raise ImportFileError(
                f"The workbook's part “{strip_controls(name)[:200]}” unpacks to "
                f"{size / (1024 * 1024):.1f} MB, more than the "
                f"{MAX_PART_BYTES_READ_WHOLE // (1024 * 1024)} MB an import reads of a part it "
                "takes whole (the manifest, the list of sheets and names, their relationships). "
                "Open the workbook in Excel or WPS and save it again, or save the sheet as CSV."
            )
        return self._archive.read(name)

    def __getattr__(self, name: str) -> object:
        return getattr(self._archive, name)


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
        """The records of the first sheet, or of the one named `name`, after the pauses.
        Only the parsing is wrapped, not what our own code does with them (`number_rows`), so
        that a bug of ours is logged as one, not blamed on the file."""
        if name is None:
            if not self.sheets:
                raise ImportFileError("The workbook has no sheet of cells.")
            name = next(iter(self.sheets))
        if name not in self.sheets:
            names = "、".join(self.sheets)
            raise ImportFileError(f"The workbook has no sheet “{name}” (it has: {names}).")
        with _readable(loading=False):
            dates: set[int] = set()
            durations: set[int] = set()
            if _STYLES_PART in self._reader.valid_files:
                with self._reader.archive.open(_STYLES_PART) as source:
                    dates, durations = yield from _date_formats(source)
            strings: list[str] = []
            yield from self._shared_strings(strings)
            yield from self._sheet_rows(self.sheets[name], strings, dates, durations)

    def _shared_strings(self, strings: list[str]) -> Iterator[SheetRow]:
        """Fills `strings` as openpyxl's `read_string_table` does."""
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
                        raise ImportFileError(
                            "The workbook holds more text than an import keeps at once (its "
                            "shared strings take more than "
                            f"{self._max_strings_bytes // (1024 * 1024)} MB); save the sheet "
                            "as CSV, or split it into smaller workbooks."
                        )
                    if len(strings) % _PAUSE_EVERY == 0:
                        yield _PAUSE

    def _sheet_rows(
        self, path: str, strings: list[str], dates: set[int], durations: set[int]
    ) -> Iterator[SheetRow]:
        parser = WorkSheetParser(
            io.BytesIO(),  # its own source is never read: the rows are walked here, cell by cell
            strings,
            data_only=True,
            epoch=self._reader.wb.epoch,
            date_formats=dates,
            timedelta_formats=durations,
        )
        parse_cell = parser.parse_cell
        data = None  # the <sheetData> element, whose rows leave the tree once read
        last = 0  # the number of the row read last
        cells: list[tuple[int, str]] = []  # (column, text) of the row being read
        width = 0  # the column of its last text
        count = 0  # its cell elements so far
        opened = 0  # elements opened since the last row ended (or the start), held till then
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
                        # Spreadsheet programs write a sheet's rows in order. openpyxl skips
                        # a row numbered at or below the last, and so did this reader: a file
                        # of millions of <row r="1"/> was read without one row handed out
                        # (33 s for 33 MB), the worker's event loop blocked.
                        raise ImportFileError(
                            f"The sheet's XML holds row {number:,} after row {last:,}, but a "
                            "sheet's rows go down in order in every workbook a spreadsheet "
                            "program writes; the workbook is damaged. Open it in Excel or WPS "
                            "and save it again."
                        )
                    if data is not None:
                        data.clear()
                    if width > MAX_COLUMNS:
                        raise too_wide(number, width, get_column_letter(width))
                    texts: list[str | None] = [None] * width
                    for column, shown in cells:
                        texts[column - 1] = shown
                    yield number, texts
                    last = number
                    parser.col_counter = 0  # cells without a reference count from column A
                    parser.row_counter = number
                    cells = []
                    count = width = opened = 0
                    continue
                if tag == CELL_TAG:
                    if (count := count + 1) > MAX_CELLS_PER_SHEET_ROW:
                        raise ImportFileError(
                            f"Row {last + 1:,} of the sheet (or the row after it) has more than "
                            f"{MAX_CELLS_PER_SHEET_ROW:,} cells, more than Excel allows; the "
                            "workbook is damaged or was not made by a spreadsheet program."
                        )
                    if element.get("t") == "inlineStr":
                        # The column as `parse_cell` finds it: its reference, or next to the last.
                        reference = element.get("r")
                        if reference:
                            parser.col_counter = coordinate_to_tuple(reference)[1]
                        else:
                            parser.col_counter += 1
                        column = parser.col_counter
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


def _date_formats(source: IO[bytes]) -> Generator[SheetRow, None, tuple[set[int], set[int]]]:
    """Walks a styles part, pausing every thousand elements, for the indices of its cell
    formats that show a date, and of those showing a duration: all an import needs of it.

    A cell holds a number; its format (its `s`, an index into the <cellXfs>) says whether
    that number is a date. openpyxl finds out by building the whole stylesheet
    (`apply_stylesheet`: an object for every font, fill, border and named style), some 80 µs
    and 2 KB per cell format: Excel's own most, 64,000, took 5 to 6 s and 150 MB, a forged
    part of 3 million 87 s and 2.6 GB before the first row. Here only the custom number
    formats and each cell format's `numFmtId` are kept, decided as openpyxl's
    `Stylesheet._normalise_numbers` decides them; like openpyxl, elements are read by their
    local name, the last <numFmts> and <cellXfs> of the <styleSheet> counting.
    """
    custom: dict[int, str | None] = {}  # the custom number formats' codes by id
    formats: list[int] = []  # each cell format's numFmtId, in order
    depth = 0
    section = ""  # the local name of the <styleSheet>'s child being read
    # The <styleSheet> and that child, whose children leave once read (until they open: none).
    root = holder = Element("none")
    held = 0  # elements ended and still in the tree
    walked = 0  # elements ended in all
    for event, element in iterparse(source, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth == 1:
                root = element
            elif depth == 2:
                holder = element
                section = _local(element.tag)
                if section == "numFmts":
                    custom = {}
                elif section == "cellXfs":
                    formats = []
            elif depth > _MAX_STYLES_DEPTH:
                raise _refused(f"nests more than {_MAX_STYLES_DEPTH} elements deep")
            continue
        depth -= 1
        if depth == 2:
            name = _local(element.tag)
            if section == "cellXfs" and name == "xf":
                formats.append(int(element.get("numFmtId", 0)))
                if len(formats) > MAX_CELL_FORMATS:
                    raise _too_many("cell formats", "64,000")
            elif section == "numFmts" and name == "numFmt":
                code = element.get("formatCode")
                if code is not None and len(code) > MAX_FORMAT_CODE:
                    raise _refused(
                        f"holds a number format longer than {MAX_FORMAT_CODE:,} characters"
                    )
                custom[int(element.get("numFmtId"))] = code
                if len(custom) > MAX_CELL_FORMATS:
                    raise _too_many("number formats", "a few hundred")
            holder.clear()
            held = 0
        elif depth == 1:
            root.clear()
            held = 0
        elif (held := held + 1) > MAX_ELEMENTS_PER_SHEET_ROW:
            raise _refused(f"holds more than {MAX_ELEMENTS_PER_SHEET_ROW:,} elements in one style")
        if (walked := walked + 1) % _PAUSE_EVERY == 0:
            yield _PAUSE
    # Each number format decided once, as many cell formats as may share it.
    codes = {number: custom.get(number, builtin_format_code(number)) for number in set(formats)}
    date_codes = {number for number, code in codes.items() if is_date_format(code)}
    duration_codes = {number for number, code in codes.items() if is_timedelta_format(code)}
    return (
        {index for index, number in enumerate(formats) if number in date_codes},
        {index for index, number in enumerate(formats) if number in duration_codes},
    )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _too_many(what: str, excel_allows: str) -> ImportFileError:
    return ImportFileError(
        f"The workbook's styles hold more than {MAX_CELL_FORMATS:,} {what} (Excel allows "
        f"{excel_allows}); the workbook was refused. Open it in Excel or WPS, clear the "
        "formats it does not use and save it again, or save the sheet as CSV."
    )


def _refused(why: str) -> ImportFileError:
    return ImportFileError(
        f"The workbook's styles part {why}, which no spreadsheet program writes; the "
        "workbook was refused."
    )


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
    return (plain or "") + "".join(runs)


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
    return str(value).strip() or None


def _too_many_elements(where: str) -> ImportFileError:
    return ImportFileError(
        f"The XML of {where} holds more than {MAX_ELEMENTS_PER_SHEET_ROW:,} elements, which "
        "no spreadsheet program writes; the workbook was refused."
    )
