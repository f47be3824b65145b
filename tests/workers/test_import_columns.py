"""A job shows which field each column filled; a file lacking what every row needs fails once."""

from __future__ import annotations

import pytest

from domain.imports.jobs import ImportRequest, start_import
from domain.imports.runner import run_import
from domain.viewer import Viewer
from models import Customer, ImportJob, ImportRowError
from models.enums import ImportKind, ImportMode, ImportStatus
from tests.factories import viewer_of
from tests.helpers import Account


async def _run(viewer: Viewer, request: ImportRequest) -> tuple[ImportStatus | None, ImportJob]:
    job, _ = await start_import(viewer, request)
    status = await run_import(job.id)
    return status, await ImportJob.get(id=job.id)


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


async def _a_customer_c1(viewer: Viewer) -> None:
    file = _csv("name,externalId", "云帆,C-1")
    assert (await _run(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=file)))[
        1
    ].created_count


async def test_a_job_stores_the_field_each_column_fills(workspace: Account):
    # given: the three headers a real customer file lost, and one that names nothing
    viewer = await viewer_of(workspace)
    data = _csv("Company name,客户编号,联系人,联系人职位,微信", "云帆科技,C-9,李娜,总经理,yf_wx")

    # when
    status, job = await _run(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=data, file_name="客户.csv")
    )

    # then
    assert status == ImportStatus.COMPLETED
    assert job.file_columns == ["Company name", "客户编号", "联系人", "联系人职位", "微信"]
    assert job.column_fields == {
        "Company name": "name",
        "客户编号": "externalId",
        "联系人": "contact.name",
        "联系人职位": "contact.title",
    }
    assert job.unmapped_columns == ["微信"]
    customer = await Customer.get(workspace_id=viewer.workspace_id, external_id="C-9")
    assert customer.name == "云帆科技"


async def test_a_customer_file_without_a_name_column_fails_at_once_listing_its_columns(
    workspace: Account,
):
    # given: no column names the customer, none to match on: every row would fail alike
    viewer = await viewer_of(workspace)
    rows = "\r\n".join(f"Firma {n},Berlin" for n in range(2500))
    data = _csv("Firma,Stadt", rows)

    # when
    status, job = await _run(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=data))

    # then: one failure, no row errors, nothing written
    assert status == ImportStatus.FAILED
    assert job.failure is not None
    assert "customer's name" in job.failure
    assert "The file's columns: “Firma”, “Stadt”." in job.failure
    assert job.processed_rows == 0
    assert await ImportRowError.filter(job_id=job.id).count() == 0
    assert await Customer.filter(workspace_id=viewer.workspace_id).count() == 0
    # the columns are shown all the same, none filling a field
    assert job.file_columns == ["Firma", "Stadt"]
    assert job.column_fields == {}


async def test_a_customer_file_without_names_still_updates_what_it_matches(workspace: Account):
    # given: external ids to match on, in UPDATE mode: no row needs a name
    viewer = await viewer_of(workspace)
    await _a_customer_c1(viewer)

    # when
    status, job = await _run(
        viewer,
        ImportRequest(
            kind=ImportKind.CUSTOMERS,
            mode=ImportMode.UPDATE,
            file=_csv("externalId,phone", "C-1,13800138000"),
        ),
    )

    # then
    assert status == ImportStatus.COMPLETED
    assert job.updated_count == 1


async def test_upsert_needs_names_only_without_a_column_to_match_on(workspace: Account):
    # given: an UPSERT matching on external id, one row matching and one not
    viewer = await viewer_of(workspace)
    await _a_customer_c1(viewer)

    # when
    status, job = await _run(
        viewer,
        ImportRequest(
            kind=ImportKind.CUSTOMERS, file=_csv("externalId,phone", "C-1,13800138000", "C-2,1")
        ),
    )

    # then: the row that matched is updated, the other fails on its own
    assert status == ImportStatus.COMPLETED
    assert (job.updated_count, job.failed_count) == (1, 1)


async def test_create_mode_needs_a_name_column_even_with_one_to_match_on(workspace: Account):
    viewer = await viewer_of(workspace)

    status, job = await _run(
        viewer,
        ImportRequest(
            kind=ImportKind.CUSTOMERS,
            mode=ImportMode.CREATE,
            file=_csv("externalId,phone", "C-1,13800138000"),
        ),
    )

    assert status == ImportStatus.FAILED
    assert job.failure is not None and "customer's name" in job.failure


@pytest.mark.parametrize(
    ("kind", "header", "lacking"),
    [
        # a contact names its customer, whatever the mode
        (ImportKind.CONTACTS, "姓名,手机", "the customer each contact belongs to"),
        (ImportKind.CONTACTS, "客户名称,手机", "the contact's name"),
        (ImportKind.ACTIVITIES, "内容,时间", "the customer each activity belongs to"),
        (ImportKind.ACTIVITIES, "客户名称,内容", "the activity's occurredAt"),
        (ImportKind.ACTIVITIES, "客户名称,时间", "the activity's content"),
        (ImportKind.OPPORTUNITIES, "商机名称,金额", "the customer each deal belongs to"),
        (ImportKind.OPPORTUNITIES, "客户名称,金额", "the deal's name"),
    ],
)
async def test_each_kind_fails_at_once_without_what_its_rows_need(
    workspace: Account, kind: ImportKind, header: str, lacking: str
):
    # given
    viewer = await viewer_of(workspace)
    data = _csv(header, "a,b", "c,d")

    # when
    status, job = await _run(viewer, ImportRequest(kind=kind, mode=ImportMode.CREATE, file=data))

    # then
    assert status == ImportStatus.FAILED
    assert job.failure is not None
    assert lacking in job.failure
    columns = ", ".join(f"“{column}”" for column in header.split(","))
    assert f"The file's columns: {columns}." in job.failure
    assert await ImportRowError.filter(job_id=job.id).count() == 0


async def test_json_rows_without_a_name_key_fail_once_their_first_chunk_is_read(
    workspace: Account,
):
    # given: JSON rows whose keys fill no name
    viewer = await viewer_of(workspace)
    rows = [{"firma": f"Firma {n}", "stadt": "Berlin"} for n in range(3)]

    # when
    status, job = await _run(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows))

    # then
    assert status == ImportStatus.FAILED
    assert job.failure is not None
    assert "The file's columns: “firma”, “stadt”." in job.failure
    assert await ImportRowError.filter(job_id=job.id).count() == 0


async def test_json_rows_whose_name_key_comes_late_in_the_first_chunk_are_imported(
    workspace: Account,
):
    # given: the name key first appears on the third row
    viewer = await viewer_of(workspace)
    rows = [
        {"phone": "13800138000"},
        {"phone": "13900139000"},
        {"name": "云帆", "phone": "13700137000"},
    ]

    # when
    status, job = await _run(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows))

    # then: the rows without one fail on their own, the last is created
    assert status == ImportStatus.COMPLETED
    assert (job.created_count, job.failed_count) == (1, 2)
    assert job.column_fields == {"phone": "phone", "name": "name"}


async def test_a_mapping_naming_a_missing_column_fails_saying_which_columns_there_are(
    workspace: Account,
):
    # given
    viewer = await viewer_of(workspace)

    # when
    status, job = await _run(
        viewer,
        ImportRequest(
            kind=ImportKind.CUSTOMERS,
            file=_csv("公司,电话", "云帆,13800138000"),
            mapping=[("客户全名", "name")],
        ),
    )

    # then
    assert status == ImportStatus.FAILED
    assert job.failure == ("The file has no column “客户全名”. The file's columns: “公司”, “电话”.")
    assert job.file_columns == ["公司", "电话"]


async def test_json_lines_that_cannot_be_read_fail_on_their_own(workspace: Account):
    # given: JSON Lines without one readable object: no columns to judge the file by
    viewer = await viewer_of(workspace)
    data = b'{"name": \n{oops}\n'

    # when
    status, job = await _run(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=data))

    # then: each line is reported by its number, as before
    assert status == ImportStatus.COMPLETED
    assert job.failed_count == 2
    rows = await ImportRowError.filter(job_id=job.id).order_by("row").values_list("row", flat=True)
    assert rows == [1, 2]
