from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime

import openpyxl
import openpyxl.xml
import pytest

from domain.imports.rows import ImportFileError
from domain.imports.xlsx import cell_text, check_zip_sizes, read_xlsx
from tests.imports.workbooks import inline, shared_strings, sheet, styles, workbook


def _workbook_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "客户"
    sheet.append([])  # a title row left empty: the header is the first non-empty row
    sheet.append(["客户名称", "电话", "联系人电话", "签约日期", "备注", "活跃"])
    sheet.append(["北京星辰科技", 13800138000.0, 13900139000, date(2024, 5, 1), "  首单  ", None])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["上海浦江", "021-55550100", None, datetime(2024, 6, 2, 9, 30), 12.5, True])
    other = workbook.create_sheet("线索")
    other.append(["name"])
    other.append(["Acme"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_reads_the_first_sheet_as_text():
    # when
    rows = list(read_xlsx(_workbook_bytes()))

    # then: rows keep the sheet's numbers, the header being in row 2 under an empty one
    assert rows == [
        (
            3,
            {
                "客户名称": "北京星辰科技",
                "电话": "13800138000",
                "联系人电话": "13900139000",
                "签约日期": "2024-05-01",
                "备注": "首单",
                "活跃": None,
            },
        ),
        (4, None),  # a blank row: nothing to import, but the reader hands control back
        (
            5,
            {
                "客户名称": "上海浦江",
                "电话": "021-55550100",
                "联系人电话": None,
                "签约日期": "2024-06-02 09:30:00",
                "备注": "12.5",
                "活跃": "TRUE",
            },
        ),
    ]


def test_a_cell_beyond_the_header_is_a_row_problem():
    workbook = openpyxl.Workbook()
    workbook.active.append(["name"])
    workbook.active.append(["Acme", "stray"])
    out = io.BytesIO()
    workbook.save(out)

    [(number, problem)] = list(read_xlsx(out.getvalue()))

    assert number == 2
    assert problem.message == "The row has 2 cells but the header only 1."


def test_reads_a_sheet_by_name():
    assert list(read_xlsx(_workbook_bytes(), sheet="线索")) == [(2, {"name": "Acme"})]


def test_a_missing_sheet_names_the_ones_there_are():
    with pytest.raises(ImportFileError, match="no sheet “Sheet9” \\(it has: 客户、线索\\)"):
        list(read_xlsx(_workbook_bytes(), sheet="Sheet9"))


def test_cell_values_become_the_text_a_user_typed():
    assert cell_text(13800138000.0) == "13800138000"
    assert cell_text(3.25) == "3.25"
    assert cell_text(datetime(2024, 5, 1)) == "2024-05-01"
    assert cell_text(date(2024, 5, 1)) == "2024-05-01"
    assert cell_text(False) == "FALSE"
    assert cell_text("   ") is None


def test_openpyxl_parses_through_defusedxml():
    # openpyxl switches to defusedxml only when it can import it; the dependency is declared.
    assert openpyxl.xml.DEFUSEDXML is True


def _zip_bomb(uncompressed_mb: int) -> bytes:
    """An xlsx-looking archive whose one sheet unpacks to `uncompressed_mb` MB of zeros.

    It has no workbook.xml: had openpyxl parsed it, the error would say "not readable".
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(uncompressed_mb):
                member.write(chunk)
    return out.getvalue()


def test_refuses_a_zip_bomb_before_parsing_it():
    # given: 64 MB of zeros squeezed into some 60 KB
    bomb = _zip_bomb(64)
    assert len(bomb) < 200 * 1024

    # when / then
    with pytest.raises(ImportFileError, match="possible zip bomb"):
        list(read_xlsx(bomb))


def test_refuses_a_workbook_that_unpacks_beyond_the_size_limit():
    # given: an archive of incompressible data, so only the size can refuse it
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", os.urandom(3 * 1024 * 1024))

    # when / then
    with pytest.raises(ImportFileError, match="unpacks to 3 MB, more than the 2 MB"):
        check_zip_sizes(out, max_uncompressed=2 * 1024 * 1024)


def test_a_real_workbook_passes_the_zip_checks():
    stream = io.BytesIO(_workbook_bytes())

    check_zip_sizes(stream)

    assert stream.tell() == 0  # the stream is rewound for openpyxl


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", b"name,phone\n"])
def test_refuses_a_file_that_is_not_a_workbook(data):
    with pytest.raises(ImportFileError, match=r"not a valid \.xlsx"):
        list(read_xlsx(data))


def test_refuses_a_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(ImportFileError, match=r"not a readable \.xlsx"):
        list(read_xlsx(out.getvalue()))


def test_reads_each_kind_of_cell_as_openpyxl_does():
    # given: a sheet as Excel and other programs write them: shared strings (rich text runs,
    # phonetic hints, escapes), inline strings, numbers, booleans, errors, formulas' results
    strings = shared_strings(["客户名称", "金额", "备注", "  留白  ", "a_x005F_b"]).replace(
        "</sst>",
        "<si><r><rPr><b/></rPr><t>北京</t></r><r><t xml:space='preserve'> 星辰</t></r></si>"
        "<si><t>東京</t><rPh sb='0' eb='2'><t>トウキョウ</t></rPh></si></sst>",
    )
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>5</v></c><c r="B2"><v>1.5E3</v></c>'
        '<c r="C2" t="s"><v>3</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>6</v></c><c r="B3" t="b"><v>1</v></c>'
        '<c r="C3" t="e"><v>#N/A</v></c></row>'
        '<row r="4"><c t="inlineStr"><is><r><t>甲</t></r><r><t>乙</t></r></is></c>'
        '<c><f>1+1</f><v>2</v></c><c t="str"><f>"x"</f><v>x</v></c></row>'
        '<row r="5"><c r="A5" t="s"><v>4</v></c><c r="B5"><v>-0.25</v></c></row>'
    )
    data = workbook(sheet(rows), strings=strings)
    reference = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    expected_cells = [
        [cell_text(value) for value in values]
        for values in reference.worksheets[0].iter_rows(values_only=True)
    ]
    reference.close()
    header, *expected_rows = expected_cells

    # when
    read = list(read_xlsx(data))

    # then: the same texts as openpyxl's own reader gives
    width = len(header)
    assert read == [
        (number, dict(zip(header, cells + [None] * (width - len(cells)), strict=True)))
        for number, cells in enumerate(expected_rows, start=2)
    ]
    assert read[0][1] == {"客户名称": "北京 星辰", "金额": "1500", "备注": "留白"}
    assert read[1][1] == {"客户名称": "東京", "金额": "TRUE", "备注": "#N/A"}
    assert read[3][1] == {"客户名称": "a_b", "金额": "-0.25", "备注": None}


def test_dates_are_found_by_their_cell_format_as_openpyxl_finds_them():
    # given: cell formats of every kind: built-in dates, times and durations, custom codes
    # (one a built-in's own), text and numbers, a literal "d" that is no date, and a format
    # without numFmtId; a <dxf>'s number format, which formats no cell, must not count
    number_formats = (
        '<numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
        '<numFmt numFmtId="165" formatCode="[h]:mm:ss"/>'
        '<numFmt numFmtId="166" formatCode="0.00&quot;d&quot;"/>'
        '<numFmt numFmtId="167" formatCode="mm-dd-yy"/>'
        '<numFmt numFmtId="168" formatCode="@"/>'
    )
    ids = ["0", "14", "22", "18", "46", "49", "164", "165", "166", "167", "168", "2", None, "170"]
    formats = "".join("<xf/>" if number is None else f'<xf numFmtId="{number}"/>' for number in ids)
    part = styles(formats, number_formats=number_formats).replace(
        "</styleSheet>",
        '<dxfs count="1"><dxf><numFmt numFmtId="170" formatCode="yyyy"/></dxf></dxfs></styleSheet>',
    )
    header = "".join(inline(f"{letter}1", f"c{n}") for n, letter in enumerate("ABCDEFGHIJKLMN"))
    cells = "".join(
        f'<c r="{letter}2" s="{n}"><v>45000.75</v></c>' for n, letter in enumerate("ABCDEFGHIJKLMN")
    )
    data = workbook(
        sheet(f'<row r="1">{header}</row><row r="2">{cells}</row>'),
        parts={"xl/styles.xml": part},
    )
    reference = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    expected = [
        cell_text(value)
        for value in next(reference.worksheets[0].iter_rows(min_row=2, values_only=True))
    ]
    reference.close()

    # when
    [(_, values)] = list(read_xlsx(data))

    # then: as openpyxl's own reader types them
    date, duration, number = "2023-03-15 18:00:00", "45000 days, 18:00:00", "45000.75"
    assert list(values.values()) == expected
    assert expected[:9] == [number, date, date, date, duration, number, date, duration, number]
    assert expected[9:] == [date, number, number, number, number]
