"""Workbooks written by hand, part by part: the smallest files Excel's format allows, with
whatever sheet XML a test needs (hostile ones included), which openpyxl would not write."""

from __future__ import annotations

import io
import os
import random
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPES}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPES}.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
    f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<workbook xmlns="{MAIN}" xmlns:r="{_DOC}"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def sheet(rows: str, *, before: str = "") -> str:
    """A worksheet's XML: `before` (a <dimension>, <cols>…), then the rows in <sheetData>."""
    return f'<worksheet xmlns="{MAIN}">{before}<sheetData>{rows}</sheetData></worksheet>'


def inline(reference: str, text: str) -> str:
    """A cell holding `text` as an inline string."""
    return f'<c r="{reference}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def shared_strings(strings: Iterable[str]) -> str:
    items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    return f'<sst xmlns="{MAIN}">{items}</sst>'


def workbook(
    sheet_xml: str | bytes | Iterable[bytes],
    *,
    strings: str | Iterable[bytes] | None = None,
    parts: dict[str, str | bytes] | None = None,
) -> bytes:
    """An .xlsx file of one sheet; `sheet_xml` and `strings` may come in pieces (written as
    they come, so a large part is never held whole). `parts` adds or replaces parts by name."""
    out = io.BytesIO()
    members: dict[str, str | bytes] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        **(parts or {}),
    }
    streamed = {
        "xl/sharedStrings.xml": shared_strings([]) if strings is None else strings,
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        for name, pieces in streamed.items():
            if name in members:
                continue
            if isinstance(pieces, str | bytes):
                pieces = [pieces.encode() if isinstance(pieces, str) else pieces]
            with archive.open(name, "w", force_zip64=True) as member:
                for piece in pieces:
                    member.write(piece)
    return out.getvalue()


def blank_rows(rows: int, *, cells: int = 1_000, then: int = 0, seed: int = 9) -> bytes:
    """A sheet with a header, then `rows` rows of `cells` empty cells each (nothing to import,
    and every cell costs parsing), then `then` customers. The empty cells' style ids are
    random, so that the archive does not compress past the zip guard's ratio (a real file's
    would not either)."""
    chance = random.Random(seed)

    def pieces() -> Iterator[bytes]:
        yield f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{inline("A1", "name")}</row>'.encode()
        for number in range(2, rows + 2):
            styles = chance.choices(range(1000), k=cells)
            yield f'<row r="{number}">'.encode()
            yield "".join(f'<c s="{style}"/>' for style in styles).encode()
            yield b"</row>"
        for number in range(rows + 2, rows + 2 + then):
            yield f'<row r="{number}">{inline(f"A{number}", f"客户{number}")}</row>'.encode()
        yield b"</sheetData></worksheet>"

    return workbook(pieces())


# Hostile workbooks, each a few megabytes at most, that cost what they cost before the
# reader bounded them (tests/imports/test_hostile_workbooks.py, and through a worker
# tests/workers/test_hostile_imports.py).

HEADER_ROW = f'<row r="1">{inline("A1", "name")}</row>'
_LETTERS = bytes(ord("a") + byte % 26 for byte in range(256))


def rows_out_of_order(rows: int, *, seed: int = 1) -> bytes:
    """A header, then `rows` rows all numbered 1 (each with a random attribute, so that the
    archive compresses as a real one would), then one customer."""
    chance = random.Random(seed)

    def pieces() -> Iterator[bytes]:
        yield f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}'.encode()
        for start in range(0, rows, 10_000):
            batch = range(start, min(start + 10_000, rows))
            yield "".join(f'<row r="1" x="{chance.randrange(10**6)}"/>' for _ in batch).encode()
        yield f'<row r="2">{inline("A2", "客户")}</row></sheetData></worksheet>'.encode()

    return workbook(pieces())


def styles(cell_formats: str, *, number_formats: str = "") -> str:
    """A styles part: custom number formats (<numFmt>s) and cell formats (<xf>s)."""
    return (
        f'<styleSheet xmlns="{MAIN}"><numFmts>{number_formats}</numFmts>'
        '<fonts count="1"><font/></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        "<borders count='1'><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        f"</cellStyleXfs><cellXfs>{cell_formats}</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def many_cell_formats(count: int, *, as_excel_writes: bool = True, seed: int = 1) -> bytes:
    """`count` cell formats (as Excel writes them, or bare <xf>s), the last a date's (14),
    and a header over one cell in that format: 45000, which reads as 2023-03-15."""
    chance = random.Random(seed)
    if as_excel_writes:
        written = (
            '<xf numFmtId="{}" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1" applyAlignment="1">'
            '<alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
        )
    else:
        written = '<xf numFmtId="{}"/>'
    formats = "".join(written.format(chance.randrange(200)) for _ in range(count - 1))
    formats += '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    return workbook(
        sheet(f'{HEADER_ROW}<row r="2"><c r="A2" s="{count - 1}"><v>45000</v></c></row>'),
        parts={"xl/styles.xml": styles(formats)},
    )


def many_defined_names(count: int) -> bytes:
    """A workbook part (read whole) holding `count` defined names, and a header."""
    names = "".join(f'<definedName name="N{n}">Sheet1!$A$1</definedName>' for n in range(count))
    part = WORKBOOK.replace("</sheets>", f"</sheets><definedNames>{names}</definedNames>")
    return workbook(sheet(HEADER_ROW), parts={"xl/workbook.xml": part})


def long_shared_strings(count: int, *, length: int = 32_000) -> bytes:
    """A header and `count` shared strings of `length` letters (Excel's longest cell text is
    32,767): 6,000 of them are 192 MB of text in a 4 MB file, each string a thousand
    random letters, then "a"s, which compress 46:1 (under the zip guard's 100:1)."""

    def pieces() -> Iterator[bytes]:
        yield f'<sst xmlns="{MAIN}"><si><t>name</t></si>'.encode()
        noise = os.urandom(count * 1000).translate(_LETTERS)
        padding = b"a" * (length - 1000)
        for n in range(count):
            yield b"<si><t>" + noise[n * 1000 : (n + 1) * 1000] + padding + b"</t></si>"
        yield b"</sst>"

    return workbook(sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), strings=pieces())


def endless_nesting(elements: int, *, in_strings: bool = False, seed: int = 1) -> bytes:
    """A header, then `elements` elements opened one inside the other and never closed
    (random two-letter names, so that the archive compresses as a real one would), in
    the second row's cell or in a shared string."""
    chance = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"

    def opened() -> Iterator[bytes]:
        for start in range(0, elements, 10_000):
            count = min(10_000, elements - start)
            yield "".join(
                f"<{''.join(chance.choices(letters, k=2))}>" for _ in range(count)
            ).encode()

    def nested(before: str) -> Iterator[bytes]:
        yield before.encode()
        yield from opened()

    if in_strings:
        return workbook(sheet(HEADER_ROW), strings=nested(f'<sst xmlns="{MAIN}"><si>'))
    start = f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}<row r="2"><c r="A2">'
    return workbook(nested(start))
