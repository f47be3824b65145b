"""Text no database should see, arriving by the import doors: NUL characters in column
names and mappings, lone UTF-16 surrogates in JSON Lines. A row error naming the cell,
or the character dropped as `clean_text` drops it; never a failed run.

Before the fix, on PostgreSQL: a JSON key or mapped column holding NUL made the job's
JSON columns unwritable ("unsupported Unicode escape sequence"), so `startImport` was
an INTERNAL error or every run of the job failed; a lone surrogate in a value or a key
failed the run too (asyncpg and orjson cannot encode it), three times, then the job.
"""

from __future__ import annotations

import asyncio
import io
import zipfile

import openpyxl
import pytest

from domain.errors import DomainError
from domain.imports.jobs import ImportRequest, start_import
from domain.imports.readers import read_jsonl
from domain.imports.rows import RowProblem
from domain.imports.runner import run_import
from domain.viewer import Viewer
from models import Customer, ImportJob, ImportRowError
from models.enums import ImportFormat, ImportKind, ImportStatus
from tests.factories import viewer_of
from tests.helpers import Account

# Each import below runs in ~0.1 s; the unfixed runs failed at once too, so this is a hang
# guard, no measure: it only keeps a regression from hiding in a retry loop.
HANG_GUARD = 30.0
SURROGATE = "holds a lone UTF-16 surrogate"


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    return await viewer_of(workspace)


async def _run(viewer: Viewer, request: ImportRequest) -> ImportJob:
    job, _ = await start_import(viewer, request)
    status = await asyncio.wait_for(run_import(job.id), HANG_GUARD)
    assert status == ImportStatus.COMPLETED, (await ImportJob.get(id=job.id)).failure
    return await ImportJob.get(id=job.id)


async def _row_errors(job: ImportJob) -> list[tuple[int, str]]:
    errors = await ImportRowError.filter(job_id=job.id).order_by("row")
    return [(error.row, error.message) for error in errors]


async def _names(viewer: Viewer) -> list[str]:
    return list(
        await Customer.filter(workspace_id=viewer.workspace_id)
        .order_by("id")
        .values_list("name", flat=True)
    )


def test_lone_surrogates_in_json_lines_are_row_problems_naming_the_cell():
    # given: escapes that json.loads turns into lone surrogates
    data = (
        b'{"name": "\\ud800x"}\n'
        b'{"name": "ok", "\\udc00key": 1}\n'
        b'{"contact": {"name": ["\\ud83d"]}}\n'
        b'{"name": "\\ud83d\\ude00 pair"}\n'
    )

    # when
    rows = list(read_jsonl(data))

    # then: a whole pair is a character; halves are not
    assert [number for number, row in rows if isinstance(row, RowProblem)] == [1, 2, 3]
    assert "“name”" in rows[0][1].message and SURROGATE in rows[0][1].message
    assert "“\\udc00key”" in rows[1][1].message
    assert "“contact.name”" in rows[2][1].message
    assert rows[3] == (4, {"name": "😀 pair"})


def test_nul_in_a_json_key_is_dropped_from_the_column_name():
    assert list(read_jsonl(b'{"na\\u0000me": "A", "\\u0000": "B"}')) == [
        (1, {"name": "A", "": "B"})
    ]


async def test_a_json_lines_file_with_lone_surrogates_fails_those_rows_only(viewer: Viewer):
    # given
    data = (
        b'{"name": "\\ud800\xe5\x8c\x97\xe4\xba\xac"}\n'
        b'{"name": "\xe4\xb8\x8a\xe6\xb5\xb7", "notes": "\\udfff"}\n'
        b'{"name": "ok", "\\ud800": "x"}\n'
        b'{"name": "\xe5\xb9\xbf\xe5\xb7\x9e"}\n'
    )
    request = ImportRequest(ImportKind.CUSTOMERS, file=data, file_name="customers.jsonl")

    # when
    job = await _run(viewer, request)

    # then
    assert (job.processed_rows, job.created_count, job.failed_count) == (4, 1, 3)
    errors = await _row_errors(job)
    assert [row for row, _ in errors] == [1, 2, 3]
    assert all(SURROGATE in message for _, message in errors)
    assert await _names(viewer) == ["广州"]


async def test_rows_sent_with_lone_surrogates_fail_those_rows_only(viewer: Viewer):
    # given: what a client's JSON may hold ("\ud800" parsed); the HTTP layer refuses such
    # bodies, but the domain holds the rule for every door (a WebSocket, a script)
    rows = [{"name": "\ud800北京"}, {"name": "上海"}]

    # when
    job = await _run(viewer, ImportRequest(ImportKind.CUSTOMERS, rows=rows))

    # then
    assert (job.created_count, job.failed_count) == (1, 1)
    assert [row for row, _ in await _row_errors(job)] == [1]
    assert await _names(viewer) == ["上海"]


async def test_nul_in_column_names_and_mappings_is_dropped(viewer: Viewer):
    # given: a JSON key, a CSV header and a mapping's column, each with a NUL inside
    jsonl = b'{"na\\u0000me": "\xe7\x94\xb2", "wh\\u0000o": "x"}\n'
    csv = "客户\x00名称,indus\x00try\n乙,制\x00造\n".encode()
    mapped = [("wh\x00o", "industry")]

    # when
    from_jsonl = await _run(
        viewer,
        ImportRequest(ImportKind.CUSTOMERS, file=jsonl, file_name="a.jsonl", mapping=mapped),
    )
    from_csv = await _run(viewer, ImportRequest(ImportKind.CUSTOMERS, file=csv, file_name="b.csv"))
    from_rows = await _run(
        viewer,
        ImportRequest(
            ImportKind.CUSTOMERS, rows=[{"n\x00ame": "丙\x00"}], mapping=[("n\x00ame", "name")]
        ),
    )

    # then
    assert [job.created_count for job in (from_jsonl, from_csv, from_rows)] == [1, 1, 1]
    assert from_jsonl.mapping == [["who", "industry"]]
    assert from_rows.mapping == [["name", "name"]]
    assert await _names(viewer) == ["甲", "乙", "丙"]
    industries = (
        await Customer.filter(workspace_id=viewer.workspace_id)
        .order_by("id")
        .values_list("industry", flat=True)
    )
    assert industries == ["x", "制造", None]


async def test_nul_in_an_idempotency_key_sheet_and_file_name_is_dropped(viewer: Viewer):
    # given
    request = ImportRequest(
        ImportKind.CUSTOMERS,
        file=b"name\nA\n",
        file_name="cust\x00omers.csv",
        format=ImportFormat.CSV,
        idempotency_key="k\x00ey",
        sheet="She\x00et",
    )

    # when
    job, created = await start_import(viewer, request)
    again, created_again = await start_import(viewer, request)

    # then
    assert (created, created_again, again.id) == (True, False, job.id)
    stored = await ImportJob.get(id=job.id)
    assert (stored.file_name, stored.idempotency_key, stored.sheet) == (
        "customers.csv",
        "key",
        "Sheet",
    )


def _workbook_with(xml_text: bytes) -> bytes:
    """A workbook whose one value cell is `xml_text` as written in the sheet's XML."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["name"])
    workbook.active.append(["PLACEHOLDER"])
    saved = io.BytesIO()
    workbook.save(saved)
    original = zipfile.ZipFile(io.BytesIO(saved.getvalue()))
    rewritten = io.BytesIO()
    with zipfile.ZipFile(rewritten, "w") as archive:
        for item in original.infolist():
            archive.writestr(item, original.read(item).replace(b"PLACEHOLDER", xml_text))
    return rewritten.getvalue()


async def test_a_workbook_holding_a_lone_surrogate_fails_as_a_file(viewer: Viewer):
    # given: XML cannot hold the character, so its parser stops there (before the fix, an
    # unexpected ParseError: every run failed, three times, before the job did)
    data = _workbook_with(b"&#xD800;x")
    job, _ = await start_import(
        viewer, ImportRequest(ImportKind.CUSTOMERS, file=data, file_name="c.xlsx")
    )

    # when
    status = await run_import(job.id)

    # then: failed at once, saying why
    assert status == ImportStatus.FAILED
    failed = await ImportJob.get(id=job.id)
    assert "not valid XML" in (failed.failure or "")
    assert failed.failed_attempts == 0


async def test_an_overlong_key_is_refused_and_a_long_file_name_keeps_its_end(viewer: Viewer):
    # given: more than the job's columns hold (a masked INTERNAL error before: Tortoise
    # refused the row with a ValidationError)
    long_key = ImportRequest(ImportKind.CUSTOMERS, file=b"name\nA\n", idempotency_key="k" * 201)
    long_name = ImportRequest(ImportKind.CUSTOMERS, file=b"name\nA\n", file_name="f" * 600 + ".csv")
    long_sheet = ImportRequest(ImportKind.CUSTOMERS, file=b"name\nA\n", sheet="s" * 201)

    # when
    with pytest.raises(DomainError) as key_refused:
        await start_import(viewer, long_key)
    with pytest.raises(DomainError) as sheet_refused:
        await start_import(viewer, long_sheet)
    job, _ = await start_import(viewer, long_name)

    # then
    assert [p.field for p in key_refused.value.problems] == ["input.idempotencyKey"]
    assert [p.field for p in sheet_refused.value.problems] == ["sheet"]
    assert (await ImportJob.get(id=job.id)).file_name == "f" * 496 + ".csv"
