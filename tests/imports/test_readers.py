from __future__ import annotations

import io

import openpyxl
import pytest

from domain.imports.readers import ImportFileError, ImportFormat, detect_format, read_rows
from tests.imports.samples import EXPECTED, csv_bytes


@pytest.mark.parametrize(
    ("first_bytes", "expected"),
    [
        (b"PK\x03\x04\x14\x00", ImportFormat.XLSX),
        (b'{"name": "A"}', ImportFormat.JSONL),
        (b'\xef\xbb\xbf  {"name": "A"}', ImportFormat.JSONL),
        (b"name,phone\n", ImportFormat.CSV),
        ("客户名称,电话".encode("gb18030"), ImportFormat.CSV),
        (b"", ImportFormat.CSV),
    ],
)
def test_detects_the_format_from_the_content(first_bytes, expected):
    # the name says .csv on purpose: users rename files, the bytes decide
    assert detect_format("customers.csv", first_bytes) == expected


def test_refuses_old_xls_and_json_arrays_with_a_hint():
    with pytest.raises(ImportFileError, match=r"“old\.xls” is an old Excel 97–2003"):
        detect_format("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    with pytest.raises(ImportFileError, match="one JSON object per line"):
        detect_format("export.json", b'[{"name": "A"}]')


def test_read_rows_picks_the_reader():
    workbook = openpyxl.Workbook()
    workbook.active.append(["name"])
    workbook.active.append(["Acme"])
    xlsx = io.BytesIO()
    workbook.save(xlsx)
    xlsx.seek(0)

    assert list(read_rows(xlsx, filename="a.xlsx")) == [(2, {"name": "Acme"})]
    assert list(read_rows(b'{"name": "Acme"}\n', filename="a.jsonl")) == [(1, {"name": "Acme"})]
    assert list(read_rows(csv_bytes("gb18030"), filename="a.csv")) == EXPECTED
