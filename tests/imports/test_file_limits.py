"""The bounds of domain/imports/limits.py on text files: a CSV or JSON Lines file past them is
refused with the bound in words, in bounded time and memory; a file within them reads."""

from __future__ import annotations

import tracemalloc

import pytest

from domain.imports.file_columns import FileColumns
from domain.imports.limits import MAX_COLUMNS, MAX_LINE_BYTES, MAX_ROWS
from domain.imports.readers import read_csv, read_jsonl
from domain.imports.rows import ImportFileError
from models.enums import ImportKind
from tests.cpu import cpu_time


def _refused(rows, *, traced: bool = False) -> tuple[str, float, int | None]:
    """(message, CPU seconds (tests/cpu.py), peak bytes allocated if `traced`) of reading
    `rows` until refused."""
    if traced:
        tracemalloc.start()
    try:
        with cpu_time() as cpu, pytest.raises(ImportFileError) as refused:
            for _ in rows:
                pass
        return (
            str(refused.value),
            cpu.seconds,
            tracemalloc.get_traced_memory()[1] if traced else None,
        )
    finally:
        if traced:
            tracemalloc.stop()


def test_a_csv_value_past_the_column_limit_fails_the_file():
    header = ",".join(f"c{n}" for n in range(1, MAX_COLUMNS + 1))
    data = f"{header}\n1,2,3\n{',' * MAX_COLUMNS}stray\n".encode()

    message, _, _ = _refused(read_csv(data))

    assert message.startswith(
        f"The file has a value in column {MAX_COLUMNS + 1:,} of row 3; an import reads at "
        f"most {MAX_COLUMNS:,} columns."
    )


def test_empty_cells_past_the_column_limit_are_ignored():
    # given: a spreadsheet's trailing separators, far past the limit
    data = b"name,phone" + b"," * 5000 + b"\nAcme,1" + b"," * 5000 + b"\n"

    assert list(read_csv(data)) == [(2, {"name": "Acme", "phone": "1"})]


def test_a_csv_line_of_millions_of_cells_is_refused_without_making_them():
    # given: a header, then 20 MB of commas on one line (twenty million empty cells)
    data = b"name\n" + b"," * (20 * 1024 * 1024) + b"\n"

    # when
    message, seconds, peak = _refused(read_csv(data), traced=True)

    # then: before, the csv module made a list of every cell (some 160 MB of pointers)
    assert message.startswith(f"Line 2 is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB")
    assert seconds < 2, seconds
    assert peak < 16 * 1024 * 1024, peak


def test_a_csv_going_on_past_the_row_limit_is_refused():
    # given: a header and more blank lines than a sheet has rows (1 MB)
    data = b"name\n" + b"\n" * MAX_ROWS

    message, seconds, _ = _refused(read_csv(data))

    assert message.startswith(f"The file goes on past row {MAX_ROWS:,} (blank rows count)")
    assert seconds < 5, seconds


def test_a_json_lines_file_going_on_past_the_row_limit_is_refused():
    data = b'{"name": "Acme"}\n' + b"\n" * MAX_ROWS

    message, seconds, _ = _refused(read_jsonl(data))

    assert message.startswith(f"The file goes on past row {MAX_ROWS:,}")
    assert seconds < 5, seconds


def test_json_rows_with_ever_new_keys_stop_at_the_column_limit():
    # given: objects that each bring ten keys never seen before
    columns = FileColumns([], kind=ImportKind.CUSTOMERS, custom_fields={}, keys_vary=True)
    rows = ({f"key {n}-{k}": "x" for k in range(10)} for n in range(MAX_COLUMNS))

    # when: the mapping grows with them (each time over every key so far)
    with cpu_time() as cpu, pytest.raises(ImportFileError) as refused:
        for row in rows:
            columns.see(row)

    # then
    assert str(refused.value).startswith(f"The rows have more than {MAX_COLUMNS:,} different")
    assert cpu.seconds < 5, cpu.seconds
