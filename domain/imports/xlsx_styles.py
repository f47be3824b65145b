"""Which of a workbook's cell formats show dates or durations: all an import needs of its styles.

A sheet's cell holds a number; its format (the cell's `s`, an index into the styles part's
<cellXfs>) says whether that number is a date. openpyxl finds out by building the whole
stylesheet (`apply_stylesheet`: every font, fill, border and named style an object), some
80 µs and 2 KB of memory per cell format: Excel's own maximum of 64,000 formats took 5 to 6 s
and 150 MB, and a forged part of 3 million, 87 s and 2.6 GB before the first row was read.
Here the part is walked as it streams, as the sheet is, keeping only the custom number
formats and each cell format's `numFmtId`, decided as openpyxl's
`Stylesheet._normalise_numbers` decides them (`is_date_format`, `is_timedelta_format`).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import IO, TypeVar
from xml.etree.ElementTree import Element

from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.xml.functions import iterparse

from domain.imports.limits import MAX_CELL_FORMATS, MAX_ELEMENTS_PER_SHEET_ROW, MAX_FORMAT_CODE
from domain.imports.rows import ImportFileError

# openpyxl reads the styles from this part only (`openpyxl.xml.constants.ARC_STYLE`).
STYLES_PART = "xl/styles.xml"
_ELEMENTS_BETWEEN_PAUSES = 1000
# Elements open at once: a real styles part nests six or seven deep (an extension's list).
_MAX_DEPTH = 32

Pause = TypeVar("Pause")


@dataclass
class DateFormats:
    """The indices of the cell formats that show a date, and of those showing a duration."""

    dates: set[int] = field(default_factory=set)
    durations: set[int] = field(default_factory=set)


def read_date_formats(source: IO[bytes], pause: Pause) -> Generator[Pause, None, DateFormats]:
    """Walks a styles part; yields `pause` every thousand elements (whoever reads the rows
    gets control back), returns its DateFormats. Like openpyxl, it reads the elements by
    their local name, the last <numFmts> and <cellXfs> of the <styleSheet> counting.

    A part of more than MAX_CELL_FORMATS cell or number formats fails the file, and so
    does one nesting past what a spreadsheet writes (each open element is held).
    """
    custom: dict[int, str | None] = {}  # the custom number formats' codes by id
    formats: list[int] = []  # each cell format's numFmtId, in order
    depth = 0
    section = ""  # the local name of the <styleSheet>'s child being read
    # The <styleSheet> and that child, whose children leave once read.
    root: Element | None = None
    holder: Element | None = None
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
            elif depth > _MAX_DEPTH:
                raise _refused(f"nests more than {_MAX_DEPTH} elements deep")
            continue
        depth -= 1
        if depth == 2:
            name = _local(element.tag)
            if section == "cellXfs" and name == "xf":
                formats.append(int(element.get("numFmtId", 0)))
                if len(formats) > MAX_CELL_FORMATS:
                    raise _too_many("cell formats", "64,000")
            elif section == "numFmts" and name == "numFmt":
                custom[int(element.get("numFmtId"))] = _format_code(element.get("formatCode"))
                if len(custom) > MAX_CELL_FORMATS:
                    raise _too_many("number formats", "a few hundred")
            assert holder is not None  # opened at depth 2
            holder.clear()
            held = 0
        elif depth == 1:
            assert root is not None  # opened at depth 1
            root.clear()
            held = 0
        elif (held := held + 1) > MAX_ELEMENTS_PER_SHEET_ROW:
            raise _refused(f"holds more than {MAX_ELEMENTS_PER_SHEET_ROW:,} elements in one style")
        if (walked := walked + 1) % _ELEMENTS_BETWEEN_PAUSES == 0:
            yield pause
    return _decided(formats, custom)


def _format_code(code: str | None) -> str | None:
    # openpyxl's `is_date_format` takes time quadratic in a code's "[" (20,000 of them:
    # 0.4 s); Excel's codes are at most 255 characters.
    if code is not None and len(code) > MAX_FORMAT_CODE:
        raise _refused(f"holds a number format longer than {MAX_FORMAT_CODE:,} characters")
    return code


def _decided(formats: list[int], custom: dict[int, str | None]) -> DateFormats:
    found = DateFormats()
    kinds: dict[int, tuple[bool, bool]] = {}  # (date, duration) by numFmtId, each decided once
    for index, number_format in enumerate(formats):
        kind = kinds.get(number_format)
        if kind is None:
            if number_format in custom:
                code = custom[number_format]
            else:
                code = builtin_format_code(number_format)
            kind = kinds[number_format] = (is_date_format(code), is_timedelta_format(code))
        if kind[0]:
            found.dates.add(index)
        if kind[1]:
            found.durations.add(index)
    return found


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
