"""What every reader yields, and the errors it raises, whatever the file format."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from domain.imports.limits import MAX_COLUMNS, MAX_ROWS
from domain.validation import strip_controls

RawRow = dict[str, str | None]


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, bad encoding, zip bomb, no header).

    The message is meant for the person who uploaded the file.
    """


@dataclass(frozen=True)
class RowProblem:
    """One row could not be read; the import records it and goes on with the next row."""

    message: str


# Readers yield (row number, values): the number is the row the user sees, so the caller
# can report "row 3: …" without knowing the format: in a CSV file or sheet, the row Excel
# or WPS shows (the header is row 1 and the first data row 2, blank rows counted, a
# sheet's own numbers kept); in JSON Lines, the line. Values are None for a blank
# record: nothing to import, yielded all the same so that whoever drives a reader gets
# control back after every record, even in a file of nothing but blank rows, and can see
# whether the import was cancelled (runner.py).
Row = tuple[int, RawRow | RowProblem | None]


def header_names(cells: Sequence[str | None]) -> list[str]:
    """The header row as unique column names; a blank header becomes "Column N".

    Two columns with one name are refused: a mapping names columns, and the second one's
    values would silently overwrite the first's.
    """
    # `cells` come cleaned (`number_rows`); a column name also loses control characters.
    cleaned = [column_name(cell) for cell in cells]
    # Trailing blank headers are padding from spreadsheets, not columns.
    while cleaned and cleaned[-1] is None:
        cleaned.pop()
    names: list[str] = []
    for position, cell in enumerate(cleaned, start=1):
        name = cell or f"Column {position}"
        if name in names:
            raise ImportFileError(f"The header has two columns named “{name}”; rename one.")
        names.append(name)
    return names


def column_name(value: str | None) -> str | None:
    """A header cell or JSON key as a column name: without control characters, which a
    mapping could not name, nor the job's JSON columns hold (PostgreSQL refuses NUL)."""
    return None if value is None else clean_cell(strip_controls(value))


def clean_cell(value: str | None) -> str | None:
    return None if value is None else value.strip() or None


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): the
# error report (error_report.py) writes such a cell with a leading apostrophe, and a file
# read takes it off again, since a person fixing the failed rows uploads the report as it
# is, and "'+86 138…" must read as the phone number it was (a header "'=Total" as the
# column "=Total").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DEFUSED_STARTS = tuple(f"'{start}" for start in FORMULA_STARTS)


def defused(text: str) -> str:
    """The text as a spreadsheet cell that no spreadsheet runs as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _unescaped(cell: str) -> str | None:
    # What follows the apostrophe is cleaned as the cell was ("'\tx" reads as "x").
    return clean_cell(cell[1:]) if cell.startswith(_DEFUSED_STARTS) else cell


def number_rows(
    records: Iterable[tuple[int, Sequence[str | None]]], *, no_header: str
) -> Iterator[Row]:
    """Finds the header (the first non-blank record), then yields each record after it.

    `records` are (position, cells), the position being the row number (`Row`; a CSV record
    whose quoted cell spans lines is one row); records before the header are yielded as
    (0, None). `no_header` is the message for a file without one.
    """
    header: list[str] | None = None
    for position, cells in records:
        if position > MAX_ROWS:
            raise too_many_rows()
        if len(cells) > MAX_COLUMNS:
            # A value past them fails the file (limits.MAX_COLUMNS); blank cells are padding.
            for column, cell in enumerate(cells[MAX_COLUMNS:], start=MAX_COLUMNS + 1):
                if clean_cell(cell) is not None:
                    raise too_wide(position, column)
            cells = cells[:MAX_COLUMNS]
        # `clean_cell` of each cell, in a comprehension (this runs for every cell of a file),
        # with the apostrophe our error report puts before formula-like cells taken off again.
        cleaned = [(cell.strip() or None) if cell else None for cell in cells]
        cleaned = [_unescaped(cell) if cell and cell[0] == "'" else cell for cell in cleaned]
        if not any(cleaned):
            yield (0 if header is None else position), None
        elif header is None:
            header = header_names(cleaned)
        elif len(cleaned) > len(header) and any(cleaned[len(header) :]):
            problem = f"The row has {len(cleaned)} cells but the header only {len(header)}."
            yield position, RowProblem(problem)
        else:
            cleaned += [None] * (len(header) - len(cleaned))  # pads a short row
            yield position, dict(zip(header, cleaned, strict=False))  # a long one's tail is blank
    if header is None:
        raise ImportFileError(no_header)


def too_wide(position: int, column: int, name: str | None = None) -> ImportFileError:
    where = f"column {name or f'{column:,}'} of row {position:,}"
    return ImportFileError(
        f"The file has a value in {where}; an import reads at most {MAX_COLUMNS:,} columns. "
        "Remove the columns past them, or split the file."
    )


def too_many_rows() -> ImportFileError:
    return ImportFileError(
        f"The file goes on past row {MAX_ROWS:,} (blank rows count), the most an import "
        "reads; split it into smaller files."
    )
