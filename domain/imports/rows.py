"""What every reader yields, and the errors it raises, whatever the file format."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

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


# Readers yield (row number, values): the number is 1-based, the header excluded, so the
# caller can report "row 3: …" without knowing the format.
Row = tuple[int, RawRow | RowProblem]


def header_names(cells: Sequence[str | None]) -> list[str]:
    """The header row as unique column names; a blank header becomes "Column N".

    Two columns with one name are refused: a mapping names columns, and the second one's
    values would silently overwrite the first's.
    """
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
    if value is None:
        return None
    value = value.strip()
    return value or None


def is_blank(cells: Iterable[str | None]) -> bool:
    return all(clean_cell(cell) is None for cell in cells)


def pair_with_header(header: list[str], cells: Sequence[str | None]) -> RawRow | RowProblem:
    """Cells by column name; missing trailing cells are None, extra non-blank ones a problem."""
    return _pair(header, _cleaned(cells))


def _cleaned(cells: Sequence[str | None]) -> list[str | None]:
    """`clean_cell` of each cell, in one comprehension (this runs for every cell of a file),
    with the apostrophe our error report puts before formula-like cells taken off again."""
    cleaned = [(cell.strip() or None) if cell else None for cell in cells]
    return [_unescaped(cell) if cell and cell[0] == "'" else cell for cell in cleaned]


# What the error report (domain/imports/error_report.py) defuses with a leading apostrophe:
# a person fixing the failed rows uploads the report again, and "'+86 138…" must read as
# the phone number it was.
_DEFUSED_STARTS = ("'=", "'+", "'-", "'@")


def _unescaped(cell: str) -> str:
    return cell[1:] if cell.startswith(_DEFUSED_STARTS) else cell


def _pair(header: list[str], cleaned: list[str | None]) -> RawRow | RowProblem:
    width = len(header)
    if len(cleaned) > width:
        if any(cleaned[width:]):
            return RowProblem(f"The row has {len(cleaned)} cells but the header only {width}.")
        del cleaned[width:]
    elif len(cleaned) < width:
        cleaned += [None] * (width - len(cleaned))
    return dict(zip(header, cleaned, strict=True))


def number_rows(header: list[str], records: Iterator[Sequence[str | None]]) -> Iterator[Row]:
    """Pairs each record after the header with its row number, skipping blank records.

    Blank records still count, so "row N" stays in step with the file the user looks at.
    """
    for row_number, cells in enumerate(records, start=1):
        cleaned = _cleaned(cells)
        if any(cleaned):
            yield row_number, _pair(header, cleaned)
