from __future__ import annotations

import io

import pytest

from domain.imports.readers import detect_delimiter, detect_encoding, read_csv
from domain.imports.rows import ImportFileError, RowProblem
from tests.imports.samples import EXPECTED, csv_bytes


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("gb18030", ","),
        ("gbk", ","),
        ("utf-8", ","),
        ("utf-8-sig", ","),
        ("utf-16", "\t"),  # Excel's "Unicode Text"
        ("utf-16", ","),
        ("utf-8-sig", ";"),  # Excel in locales whose decimal mark is a comma
        ("gb18030", "\t"),
        ("utf-8", ";"),
    ],
)
def test_reads_the_same_rows_whatever_the_encoding_and_delimiter(encoding, delimiter):
    # given
    data = csv_bytes(encoding, delimiter)

    # when
    rows = list(read_csv(data))

    # then
    assert rows == EXPECTED


def test_detects_each_encoding():
    assert detect_encoding(csv_bytes("gb18030")) == "gb18030"
    assert detect_encoding(csv_bytes("utf-8")) == "utf-8"
    assert detect_encoding(csv_bytes("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding(csv_bytes("utf-16")) == "utf-16"


def test_a_utf8_sample_cut_inside_a_character_is_still_utf8():
    data = "客户名称\n".encode() * 10
    assert detect_encoding(data[:5]) == "utf-8"  # 客 is three bytes; the cut lands inside 户


def test_counts_delimiters_outside_quotes_only():
    assert detect_delimiter('"name, full";phone;email') == ";"
    assert detect_delimiter("name\tphone,mobile\temail") == "\t"
    assert detect_delimiter("name") == ","


def test_reads_from_a_file_and_leaves_it_open():
    # given
    stream = io.BytesIO(csv_bytes("gb18030"))

    # when
    rows = list(read_csv(stream))

    # then
    assert rows == EXPECTED
    assert not stream.closed


def test_a_row_longer_than_the_header_is_a_row_problem_and_reading_goes_on():
    data = b"name,phone\nA,1,surplus\nB,2,,\n"

    rows = list(read_csv(data))

    assert rows == [
        (2, RowProblem("The row has 3 cells but the header only 2.")),
        (3, {"name": "B", "phone": "2"}),  # trailing empty cells are padding
    ]


def test_a_short_row_leaves_the_missing_cells_none():
    assert list(read_csv(b"name,phone,email\nA\n")) == [
        (2, {"name": "A", "phone": None, "email": None})
    ]


def test_blank_header_cells_are_named_by_position():
    assert list(read_csv(b"name,,email,,\nA,x,a@b.cn\n")) == [
        (2, {"name": "A", "Column 2": "x", "email": "a@b.cn"})
    ]


def test_refuses_two_columns_with_one_name():
    with pytest.raises(ImportFileError, match="two columns named “电话”"):
        list(read_csv("电话,电话\n1,2\n".encode()))


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b",,,\n"])
def test_refuses_a_file_without_header(data):
    with pytest.raises(ImportFileError, match="no header"):
        list(read_csv(data))


def test_invalid_utf8_after_the_sample_is_a_file_error_not_a_crash():
    # given a file that looks like UTF-8 for longer than the sample, then is not
    data = b"name,phone\n" + b"Acme,123\n" * 10_000 + "坏".encode("gb18030") + b",1\n"

    # when / then
    with pytest.raises(ImportFileError, match="not valid utf-8"):
        list(read_csv(data))


def test_rows_are_numbered_as_a_spreadsheet_shows_them_blank_lines_above_the_header_too():
    # given: two blank lines above the header (Excel shows it in row 3), a cell spanning two
    # lines (one row in Excel) and a blank line between rows
    data = b'\r\n\r\nname,notes\r\nA,"two\r\nlines"\r\n\r\nB,x\r\n'

    # when
    rows = [(number, values) for number, values in read_csv(data) if values is not None]

    # then
    assert rows == [(4, {"name": "A", "notes": "two\r\nlines"}), (6, {"name": "B", "notes": "x"})]
