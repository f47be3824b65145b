"""Workbooks built to hurt the reader: each is read, or refused with its reason, in bounded
time and memory. (The same files through a real worker: tests/workers/test_hostile_imports.py.)"""

from __future__ import annotations

import io
import random
import time
import tracemalloc
import zipfile
from collections.abc import Iterator

import pytest

from domain.imports import rows as rows_module
from domain.imports.limits import (
    MAX_CELL_FORMATS,
    MAX_CELLS_PER_SHEET_ROW,
    MAX_COLUMNS,
    MAX_PART_BYTES_READ_WHOLE,
    MAX_ROWS,
    MAX_SHARED_STRINGS_BYTES,
)
from domain.imports.rows import ImportFileError
from domain.imports.xlsx import Workbook, read_xlsx
from tests.imports.workbooks import (
    MAIN,
    WORKBOOK,
    endless_nesting,
    inline,
    long_shared_strings,
    many_cell_formats,
    many_defined_names,
    rows_out_of_order,
    shared_strings,
    sheet,
    styles,
    workbook,
)

MB = 1024 * 1024

HEADER = f'<row r="1">{inline("A1", "name")}</row>'

# A 1.6 KB workbook declaring a sheet of 16,384 columns by 1,048,576 rows, with a row at
# the very end: openpyxl's read-only reader pads to the declared size (half an hour).
DIMENSION_BOMB = workbook(
    sheet(
        f'{HEADER}<row r="1048576">{inline("A1048576", "最后一行")}</row>',
        before='<dimension ref="A1:XFD1048576"/>',
    )
)

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
DATA_ROW = f'<row r="2">{inline("A2", "Acme")}</row>'


# A hostile file's cost is the CPU its reading takes in this thread, not the time on the
# wall: on a shared, loaded machine (CI beside other jobs) the wall clock counts the time
# other processes had the CPU, and bounds of a few seconds failed there.
_cpu_seconds = time.thread_time


def _read(data: bytes) -> tuple[list, int, float, int]:
    """(the first rows with values, seconds, peak bytes allocated) reading `data`; the rows
    are counted, not held, past the first ten."""
    kept: list = []
    count = 0
    tracemalloc.start()
    started = _cpu_seconds()
    try:
        for row in read_xlsx(data):
            if row[1] is not None:
                count += 1
                if len(kept) < 10:
                    kept.append(row)
        seconds = _cpu_seconds() - started
        return kept, count, seconds, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _refusal(data: bytes) -> tuple[str, float]:
    started = _cpu_seconds()
    with pytest.raises(ImportFileError) as refused:
        list(read_xlsx(data))
    return str(refused.value), _cpu_seconds() - started


def _traced(data: bytes) -> tuple[str, float, int]:
    """(refusal message, the longest stretch in seconds without a record handed out, peak
    bytes allocated) of reading `data` until it is refused. The stretch is what matters to
    a worker: the run looks up between records (`ChunkCommits.look`), its event loop blocked meanwhile."""
    longest = 0.0
    tracemalloc.start()
    try:
        last = _cpu_seconds()
        with pytest.raises(ImportFileError) as refused:
            for _ in read_xlsx(data):
                now = _cpu_seconds()
                longest, last = max(longest, now - last), now
        longest = max(longest, _cpu_seconds() - last)
        return str(refused.value), longest, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _refusal_of(read) -> tuple[str, float]:
    started = _cpu_seconds()
    with pytest.raises(ImportFileError) as refused:
        read()
    return str(refused.value), _cpu_seconds() - started


def test_a_declared_huge_sheet_costs_only_its_cells():
    # given: 1.6 KB declaring A1:XFD1048576 (before: ~30 minutes of padding)
    assert len(DIMENSION_BOMB) < 2000

    # when
    rows, count, seconds, peak = _read(DIMENSION_BOMB)

    # then: its one row, numbered where it stands (the sheet's last), at once and in little
    # memory
    assert (rows, count) == ([(1_048_576, {"name": "最后一行"})], 1)
    assert seconds < 1, seconds
    assert peak < 5 * 1024 * 1024, peak


def test_an_empty_cell_at_the_last_column_is_ignored():
    # given: a formatted but empty cell at XFD on every row (a row is as wide as its last cell)
    data = workbook(
        sheet(
            f'<row r="1">{inline("A1", "name")}<c r="XFD1" s="1"/></row>'
            + "".join(
                f'<row r="{n}">{inline(f"A{n}", f"客户{n}")}<c r="XFD{n}" s="1"/></row>'
                for n in range(2, 2002)
            )
        )
    )

    # when
    rows, count, seconds, peak = _read(data)

    # then: 2,000 rows of one column, not 2,000 × 16,384 cells (before: 33 million)
    assert count == 2000 and rows[0] == (2, {"name": "客户2"})
    assert seconds < 2, seconds
    assert peak < 5 * 1024 * 1024, peak


def test_a_value_past_the_column_limit_fails_the_file_naming_it():
    data = workbook(sheet(f'{HEADER}<row r="7">{inline("A7", "x")}{inline("XFD7", "y")}</row>'))

    message, seconds = _refusal(data)

    assert message.startswith(
        f"The file has a value in column XFD of row 7; an import reads at most {MAX_COLUMNS:,}"
    )
    assert seconds < 1


def test_a_row_past_excels_last_row_fails_the_file_at_once():
    # given: a row numbered far past any sheet (before: a loop over every number up to it)
    data = workbook(sheet(f'{HEADER}<row r="1000000000000">{inline("A1", "x")}</row>'))

    message, seconds = _refusal(data)

    assert f"goes on past row {MAX_ROWS:,}" in message
    assert seconds < 1


def test_a_row_of_more_cells_than_excel_has_columns_is_refused():
    data = workbook(
        sheet(HEADER + '<row r="2">' + "<c/>" * (MAX_CELLS_PER_SHEET_ROW + 1) + "</row>")
    )

    message, seconds = _refusal(data)

    assert f"more than {MAX_CELLS_PER_SHEET_ROW:,} cells" in message
    assert seconds < 2


def test_endless_elements_before_the_cells_are_refused_in_bounded_memory():
    # given: a sheet whose column definitions go on and on before its first row
    widths = random.Random(1).choices(range(1, 100_000), k=200_000)
    columns = "<cols>" + "".join(f'<col min="1" max="1" width="{w}"/>' for w in widths)
    columns += "</cols>"
    data = workbook(sheet(HEADER + DATA_ROW, before=columns))

    tracemalloc.start()
    try:
        message, seconds = _refusal(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert "holds more than" in message and "no spreadsheet program writes" in message
    assert seconds < 3
    assert peak < 30 * 1024 * 1024, peak


def _long_sheet(rows: int) -> Iterator[bytes]:
    yield f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER}'.encode()
    for n in range(2, rows + 2):
        yield f'<row r="{n}"><c r="A{n}" t="s"><v>{n % 50}</v></c></row>'.encode()
    yield b"</sheetData></worksheet>"


@pytest.mark.parametrize("where", ["a cell", "a shared string"])
def test_elements_nested_without_end_are_refused_in_bounded_memory(where: str):
    # given: 500,000 elements opened one inside the other and never closed, in 1 MB (the
    # elements were counted as they ended: 2 million of them took 11 s and 569 MB, before
    # the end of the file said it was broken)
    data = endless_nesting(500_000, in_strings=where == "a shared string")
    assert len(data) < 2 * MB

    # when
    message, longest, peak = _traced(data)

    # then (before: read to the end, 2.9 s and 164 MB of RSS; traced 7.2 s and 127 MB; now
    # 0.25 s and 49 MB; traced 1.3 s and 18 MB)
    assert "holds more than 65,536 elements, which no spreadsheet program writes" in message
    assert longest < 4, longest
    assert peak < 40 * MB, peak


def test_memory_stays_flat_however_long_the_sheet():
    # given: the same sheet, 5,000 and 50,000 rows long
    strings = shared_strings(f"客户{n}" for n in range(50))
    short = workbook(_long_sheet(5_000), strings=strings)
    long = workbook(_long_sheet(50_000), strings=strings)

    # when
    _, short_count, _, short_peak = _read(short)
    _, long_count, _, long_peak = _read(long)

    # then: ten times the rows, not ten times the memory (each read row leaves the tree)
    assert (short_count, long_count) == (5_000, 50_000)
    assert long_peak < 2 * short_peak + 1024 * 1024, (short_peak, long_peak)


def test_blank_rows_each_hand_control_back():
    # given: a sheet of 5,000 blank rows between its header and its one row
    blank = "".join(f'<row r="{n}"><c r="A{n}" s="1"/></row>' for n in range(2, 5002))
    data = workbook(sheet(f"{HEADER}{blank}<row r='5002'>{inline('A5002', 'x')}</row>"))

    # when
    read = list(read_xlsx(data))

    # then: one item per row, a blank row's values None: the caller sees each go by
    assert len(read) == 5001
    assert read[:2] == [(2, None), (3, None)]
    assert read[-1] == (5002, {"name": "x"})


MALFORMED = {
    "entity expansion": (
        workbook(
            LAUGHS + sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row>')
        ),
        "declares entities, a DTD or outside references",
    ),
    "entity expansion in the shared strings": (
        workbook(
            sheet(HEADER + DATA_ROW),
            strings=LAUGHS + f'<sst xmlns="{MAIN}"><si><t>&lol3;</t></si></sst>',
        ),
        "declares entities, a DTD or outside references",
    ),
    "entity expansion in the workbook part": (
        workbook(sheet(HEADER + DATA_ROW), parts={"xl/workbook.xml": LAUGHS + WORKBOOK}),
        "declares entities, a DTD or outside references",
    ),
    "external entity": (
        workbook(EXTERNAL + sheet(f'<row r="1">{inline("A1", "&secret;")}</row>')),
        "declares entities, a DTD or outside references",
    ),
    "broken XML in the sheet": (
        workbook(sheet(HEADER + DATA_ROW + '<row r="3"><c r="A3"><v>1</v></row>')),
        "not valid XML (mismatched tag",
    ),
    "a shared string that is not there": (
        workbook(sheet(HEADER + '<row r="2"><c r="A2" t="s"><v>99</v></c></row>')),
        "its sheet cannot be read (IndexError",
    ),
    "a row number that is not a number": (
        workbook(sheet(HEADER + f'<row r="two">{inline("A2", "x")}</row>')),
        "its sheet cannot be read (ValueError",
    ),
    "a cell reference past ZZZ": (
        workbook(sheet(HEADER + f'<row r="2">{inline("ABCD2", "x")}</row>')),
        "its sheet cannot be read (ValueError",
    ),
    "a number that is not one": (
        workbook(sheet(HEADER + '<row r="2"><c r="A2"><v>12abc</v></c></row>')),
        "its sheet cannot be read (ValueError",
    ),
    "a zip that is no workbook": (
        workbook(sheet(HEADER), parts={"[Content_Types].xml": "<Types/>"}),
        "not a readable .xlsx workbook",
    ),
}


def test_rows_numbered_out_of_order_are_refused_at_once():
    # given: 300,000 rows all numbered 1 after the header (1.2 MB; the review's 33 MB of them
    # ran 33 s): openpyxl skips such a row, and so did the reader, handing nothing out
    data = rows_out_of_order(300_000)
    assert len(data) < 2 * MB

    # when
    message, seconds = _refusal(data)

    # then: refused at the first of them (before: 1.5 s read, no row handed out, then read)
    assert message.startswith("The sheet's XML holds row 1 after row 1, but a sheet's rows")
    assert seconds < 0.5, seconds


def test_a_row_numbered_below_the_one_before_it_is_refused():
    data = workbook(sheet(f'{HEADER}<row r="7">{inline("A7", "x")}</row>{DATA_ROW}'))

    message, _ = _refusal(data)

    assert message.startswith("The sheet's XML holds row 2 after row 7")


def test_a_styles_part_of_more_cell_formats_than_excel_allows_is_refused_at_once():
    # given: 100,000 cell formats (Excel allows 64,000) in 150 KB, as the review's 3 million
    # in 6.3 MB, which cost openpyxl 87 s and 2.6 GB before the first row
    data = many_cell_formats(100_000, as_excel_writes=False)
    assert len(data) < MB

    # when
    message, longest, peak = _traced(data)

    # then: refused past the bound, handing control back as it reads, in the memory of a
    # number per format (before: openpyxl built every one, 4.2 s without handing anything
    # out, 31 s traced, and 75 MB; now 0.05 s at most, 0.11 s traced, and 1 MB)
    assert message.startswith(f"The workbook's styles hold more than {MAX_CELL_FORMATS:,} cell")
    assert longest < 1, longest
    assert peak < 10 * MB, peak


def test_a_styles_part_of_endless_number_formats_is_refused():
    # given: 70,000 custom number formats (Excel allows a few hundred), each kept by id
    number_formats = "".join(
        f'<numFmt numFmtId="{164 + n}" formatCode="0.{n}"/>' for n in range(70_000)
    )
    data = workbook(
        sheet(HEADER), parts={"xl/styles.xml": styles("<xf/>", number_formats=number_formats)}
    )

    # when
    message, longest, peak = _traced(data)

    # then
    assert message.startswith(f"The workbook's styles hold more than {MAX_CELL_FORMATS:,} number")
    assert "(Excel allows a few hundred)" in message
    assert longest < 1, longest
    assert peak < 16 * MB, peak


def test_excels_most_cell_formats_cost_a_moment():
    # given: Excel's most, 64,000 cell formats as Excel writes them (12 MB of styles), the
    # last one a date's
    data = many_cell_formats(64_000)

    # when
    rows, longest = [], 0.0
    last = _cpu_seconds()
    for row in read_xlsx(data):
        now = _cpu_seconds()
        longest, last = max(longest, now - last), now
        if row[1] is not None:
            rows.append(row)

    # then: the cell typed by its format, and control handed back as the styles are read
    # (before: openpyxl built the stylesheet first, 6.3 s and 181 MB of RSS; now 1.4 s in
    # all and 64 MB, 0.05 s at most between two records)
    assert rows == [(2, {"name": "2023-03-15"})]
    assert longest < 1, longest


def test_a_number_format_longer_than_excel_allows_is_refused_at_once():
    # given: a cell format whose number format is 100,000 "[" in 100 KB (deciding whether
    # such a code shows a date takes time quadratic in its "[": openpyxl's regex)
    code = "[" * 100_000
    data = workbook(
        sheet(f'{HEADER}<row r="2"><c r="A2" s="0"><v>1</v></c></row>'),
        parts={
            "xl/styles.xml": styles(
                '<xf numFmtId="164"/>',
                number_formats=f'<numFmt numFmtId="164" formatCode="{code}"/>',
            )
        },
    )

    # when
    message, seconds = _refusal(data)

    # then (before: 10 s in openpyxl's `is_date_format`, then read)
    assert "holds a number format longer than 1,000 characters" in message
    assert seconds < 0.5, seconds


def test_a_zip_listing_tens_of_thousands_of_parts_is_refused_before_the_list_is_read():
    # given: 30,000 empty parts, listed in 1.5 MB, which zipfile turns into an object each,
    # twice (the review's 25 MB of them: 4 s and 300 MB, then "not a readable workbook")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(30_000):
            archive.writestr(f"{n:x}", b"")

    # when
    message, longest, peak = _traced(out.getvalue())

    # then
    assert message.startswith("The workbook's zip lists its parts in more than 1,024 KB")
    assert longest < 0.2, longest
    assert peak < 2 * MB, peak


def test_a_part_read_whole_past_its_bound_is_refused_before_it_is_parsed():
    # given: a workbook part holding 60,000 defined names (3 MB), which openpyxl parses whole
    data = many_defined_names(60_000)

    # when
    message, longest, peak = _traced(data)

    # then (before: 2.5 s and 90 MB of objects before the first row)
    assert message.startswith("The workbook's part “xl/workbook.xml” unpacks to 3.")
    assert f"more than the {MAX_PART_BYTES_READ_WHOLE // MB} MB an import reads" in message
    assert longest < 0.5, longest
    assert peak < 5 * MB, peak


def test_shared_strings_past_their_memory_bound_are_refused():
    # given: 192 MB of shared strings in a 4 MB file (6,000 strings of 32,000 letters)
    data = long_shared_strings(6_000)
    assert len(data) < 6 * MB

    # when
    message, longest, peak = _traced(data)

    # then: refused once they hold the bound (before: all of them held, 184 MB, and read)
    assert message.startswith("The workbook holds more text than an import keeps at once")
    assert peak < MAX_SHARED_STRINGS_BYTES + 16 * MB, peak
    assert longest < 2, longest


def test_each_shared_string_counts_what_python_holds_for_it():
    # given: 20,000 strings of two letters: 40,000 characters, but 59 bytes each as held
    chance = random.Random(3)
    strings = shared_strings(
        "".join(chance.choices("abcdefghijklmnopqrstuvwxyz", k=2)) for _ in range(20_000)
    )
    data = workbook(sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), strings=strings)

    def read(bound: int) -> None:
        opened = Workbook(io.BytesIO(data), max_strings_bytes=bound)
        try:
            for _ in opened.rows():
                pass
        finally:
            opened.close()

    # when / then: 1.3 MB holds them, 1 MB does not
    read(1_300_000)
    message, _ = _refusal_of(lambda: read(MB))
    assert "(its shared strings take more than 1 MB)" in message


def test_a_bug_in_our_own_row_code_is_not_blamed_on_the_workbook(monkeypatch):
    # given: a sound workbook, and a bug in the code that numbers its rows
    def broken(cells):
        raise KeyError("a bug of ours")

    monkeypatch.setattr(rows_module, "header_names", broken)

    # when / then: the bug surfaces as itself, to be logged and retried (before: "The
    # workbook is damaged: its sheet cannot be read (KeyError…)")
    with pytest.raises(KeyError, match="a bug of ours"):
        list(read_xlsx(workbook(sheet(HEADER + DATA_ROW))))


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_workbook_is_refused_with_its_reason(case):
    data, reason = MALFORMED[case]

    message, seconds = _refusal(data)

    assert reason in message
    assert seconds < 1
