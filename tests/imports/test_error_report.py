"""The error report, page by page: one line per failed row, whatever the page boundaries."""

import codecs
import csv
import io

import pytest

from domain.errors import DomainError
from domain.imports.error_report import open_error_report
from domain.imports.jobs import ImportRequest, start_import
from domain.imports.readers import read_csv
from domain.imports.rows import FORMULA_STARTS, clean_cell, defused
from domain.imports.runner import run_import
from domain.viewer import Viewer
from models import Customer, ImportJob, ImportRowError
from models.enums import ImportKind, ImportStatus
from tests.cpu import cpu_time
from tests.factories import viewer_of
from tests.helpers import Account, GraphQL, count_queries
from tests.imports.workbooks import shared_strings, sheet, workbook


async def _finished(viewer: Viewer, request: ImportRequest) -> int:
    job, _ = await start_import(viewer, request)
    assert await run_import(job.id) == ImportStatus.COMPLETED
    return job.id


async def _read(chunks) -> list[list[str]]:
    body = b"".join([chunk async for chunk in chunks])
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def test_a_row_split_across_pages_is_still_one_line(workspace: Account):
    # given: five errors on three rows (two, one, two), read two errors a page
    viewer = await viewer_of(workspace)
    rows = [
        {"客户名称": "甲", "电话": "call me", "邮箱": "bad"},
        {"客户名称": "乙", "电话": "13800138000", "邮箱": "bad"},
        {"客户名称": "丙", "电话": "call me too", "邮箱": "also bad"},
    ]
    job_id = await _finished(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows))
    assert await ImportRowError.filter(job_id=job_id).count() == 5
    report = await open_error_report(viewer, job_id)

    # when
    with count_queries() as statements:
        lines = await _read(report.chunks(page_size=2))

    # then: one statement a page, and one line a row
    assert len(statements) == 3, statements
    assert report.file_name == f"import-{job_id}-errors.csv"
    assert lines[0] == ["客户名称", "电话", "邮箱", "error", "row"]
    assert [(line[0], line[-1], len(line[3].split("; "))) for line in lines[1:]] == [
        ("甲", "1", 2),
        ("乙", "2", 1),
        ("丙", "3", 2),
    ]


async def test_json_rows_report_every_key_any_failed_row_has(workspace: Account):
    # given: objects that do not share their keys
    viewer = await viewer_of(workspace)
    rows = [{"客户名称": "甲", "电话": "call me"}, {"客户名称": None, "备注": "没有名字"}]
    job_id = await _finished(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows))

    # when
    report = await open_error_report(viewer, job_id)
    lines = await _read(report.chunks())

    # then
    assert lines[0] == ["客户名称", "电话", "备注", "error", "row"]
    assert lines[1][:3] == ["甲", "call me", ""]
    assert lines[2][:3] == ["", "", "没有名字"]


async def test_a_file_with_its_own_error_and_row_columns_keeps_them(workspace: Account):
    # given
    viewer = await viewer_of(workspace)
    content = "客户名称,电话,row,error\n甲,call me,7,旧的错误\n".encode()
    job_id = await _finished(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=content, file_name="再导入.csv")
    )

    # when
    report = await open_error_report(viewer, job_id)
    lines = await _read(report.chunks())

    # then
    assert report.file_name == "再导入-errors.csv"
    assert lines[0] == ["客户名称", "电话", "row", "error", "_error", "_row"]
    assert lines[1][:4] == ["甲", "call me", "7", "旧的错误"]
    assert lines[1][5] == "2"  # the row as Excel shows it, below the header


async def test_a_workbooks_report_takes_its_columns_from_the_job_never_the_file(
    workspace: Account,
):
    # given: a workbook whose columns are not in the order PostgreSQL's jsonb keeps the
    # failed rows' keys in (shorter keys first), and whose shared strings take a second to
    # read (200,000 notes of another sheet besides its own cells)
    viewer = await viewer_of(workspace)
    texts = ["客户名称", "备注", "电话", "邮箱", "甲", "乙", "丙", "老客户", "call me"]
    texts += ["13900139000", "not an email"] + [f"备注{n}" for n in range(200_000)]
    cells = [["客户名称", "备注", "电话", "邮箱"], ["甲", None, "call me", None]]
    cells += [["乙", "老客户", "13900139000", None], ["丙", None, None, "not an email"]]
    rows = "".join(
        f'<row r="{n}">'
        + "".join(
            f'<c r="{"ABCD"[column]}{n}" t="s"><v>{texts.index(text)}</v></c>'
            for column, text in enumerate(values)
            if text is not None
        )
        + "</row>"
        for n, values in enumerate(cells, start=1)
    )
    content = workbook(sheet(rows), strings=shared_strings(texts))
    job_id = await _finished(
        viewer,
        ImportRequest(kind=ImportKind.CUSTOMERS, file=content, file_name="客户.xlsx"),
    )
    assert (await ImportJob.get(id=job_id)).file_columns == ["客户名称", "备注", "电话", "邮箱"]

    # when
    with count_queries() as statements, cpu_time() as cpu:
        report = await open_error_report(viewer, job_id)
        lines = await _read(report.chunks())

    # then: the upload is not read at all, not even its length (before: the API copied it
    # out and read its shared strings in a thread, a second or two here; 24.6 s and 250 MB
    # per download of the review's 6.5 MB workbook)
    assert [statement for statement in statements if "payload" in statement] == []
    assert cpu.seconds < 0.5, cpu.seconds  # CPU seconds of the process (tests/cpu.py)
    assert report.file_name == "客户-errors.csv"
    assert lines[0] == ["客户名称", "备注", "电话", "邮箱", "error", "row"]
    assert [(line[0], line[2], line[3], line[-1]) for line in lines[1:]] == [
        ("甲", "call me", "", "2"),
        ("丙", "", "not an email", "4"),
    ]


async def test_the_worker_stores_the_files_columns_in_their_order(workspace: Account):
    # given
    viewer = await viewer_of(workspace)
    csv_file = "邮箱,客户名称,z,电话\nbad,甲,,call me\n".encode()
    json_lines = '{"邮箱": "bad", "客户名称": "甲"}\n{"电话": "x", "客户名称": "乙", "z": 1}\n'

    # when
    from_csv = await _finished(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=csv_file, file_name="a.csv")
    )
    from_json = await _finished(
        viewer,
        ImportRequest(kind=ImportKind.CUSTOMERS, file=json_lines.encode(), file_name="a.jsonl"),
    )

    # then: a header's order, and JSON keys as they first appeared
    assert (await ImportJob.get(id=from_csv)).file_columns == ["邮箱", "客户名称", "z", "电话"]
    assert (await ImportJob.get(id=from_json)).file_columns == ["邮箱", "客户名称", "电话", "z"]
    header, *_ = await _read((await open_error_report(viewer, from_csv)).chunks())
    assert header == ["邮箱", "客户名称", "z", "电话", "error", "row"]


async def test_a_job_run_before_columns_were_stored_reports_its_failed_rows_keys(
    workspace: Account,
):
    # given: a job as migration 0015 found it, without its file's columns
    viewer = await viewer_of(workspace)
    content = "客户名称,电话,邮箱\n甲,call me,\n".encode()
    job_id = await _finished(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=content, file_name="旧.csv")
    )
    await ImportJob.filter(id=job_id).update(file_columns=None)

    # when
    with count_queries() as statements:
        lines = await _read((await open_error_report(viewer, job_id)).chunks())

    # then: the columns its failed row holds (in whatever order the database keeps them),
    # and still no read of the file
    assert [statement for statement in statements if "payload" in statement] == []
    assert sorted(lines[0][:3]) == sorted(["客户名称", "电话", "邮箱"])
    assert lines[0][3:] == ["error", "row"]
    assert dict(zip(lines[0][:3], lines[1][:3], strict=True))["电话"] == "call me"


async def test_another_workspace_has_no_report(gql: GraphQL, workspace: Account):
    # given
    viewer = await viewer_of(workspace)
    job_id = await _finished(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=[{"name": "甲", "phone": "x"}])
    )
    stranger = await viewer_of(await gql.sign_up())

    # when / then
    with pytest.raises(DomainError) as raised:
        await open_error_report(stranger, job_id)
    assert [p.code.value for p in raised.value.problems] == ["NOT_FOUND"]


async def test_a_report_fixed_in_place_imports_again_with_its_defused_cells_restored(
    workspace: Account,
):
    # given: a CSV whose row fails on its email, with a phone the report must defuse
    viewer = await viewer_of(workspace)
    original = "客户名称,电话,邮箱\n云帆科技,+86 138 0013 8000,not an email\n".encode()
    job_id = await _finished(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=original, file_name="客户.csv")
    )
    header, failed = await _read((await open_error_report(viewer, job_id)).chunks())
    assert failed[1] == "'+86 138 0013 8000"

    # when: the person fixes the email and uploads the report as it is, columns and all
    failed[2] = "info@yunfan.cn"
    fixed = io.StringIO()
    csv.writer(fixed).writerows([header, failed])
    again = await _finished(
        viewer,
        ImportRequest(
            kind=ImportKind.CUSTOMERS,
            file=codecs.BOM_UTF8 + fixed.getvalue().encode(),
            file_name="import-errors.csv",
        ),
    )

    # then: the phone reads as the number it was; the report's own columns map to nothing
    job = await ImportJob.get(id=again)
    assert (job.created_count, job.failed_count) == (1, 0)
    assert set(job.unmapped_columns) == {"error", "row"}
    customer = await Customer.get(workspace_id=viewer.workspace_id, name="云帆科技")
    assert (customer.phone, customer.phone_normalized) == ("+86 138 0013 8000", "13800138000")


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_each_cell_the_report_defuses_an_import_reads_as_it_was(start: str):
    # given: a cell a spreadsheet would run, as the report writes it (one rule for both:
    # before, the report defused a tab and a carriage return that an import did not undo)
    value = f"{start}1+1"
    written = io.StringIO()
    csv.writer(written).writerows([["备注"], [defused(value)]])
    assert written.getvalue().splitlines()[1].lstrip('"').startswith("'")

    # when
    [(number, values)] = list(read_csv(written.getvalue().encode()))

    # then: the cell as an import reads the original (which loses surrounding blanks)
    assert (number, values) == (2, {"备注": clean_cell(value)})
