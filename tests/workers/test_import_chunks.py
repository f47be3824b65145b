"""Chunks commit one at a time, even while the next one is read and checked meanwhile."""

from __future__ import annotations

from domain.imports.jobs import ImportRequest, start_import
from domain.imports.runner import run_import
from models import Contact, Customer, ImportJob
from models.enums import ImportKind, ImportMode, ImportStatus
from tests.factories import viewer_of
from tests.helpers import Account


async def test_a_later_chunk_matches_what_the_chunk_before_it_created(workspace: Account):
    # given: rows 11-20 repeat the phones of rows 1-10, the next chunk of 10
    viewer = await viewer_of(workspace)
    columns = ("客户名称", "电话", "行业", "联系人", "联系人电话", "职位")
    first = [
        (f"客户 {i}", f"1380000{i:04d}", None, f"联系人 {i}", f"1390000{i:04d}", None)
        for i in range(10)
    ]
    again = [(None, f"1380000{i:04d}", "软件", None, f"1390000{i:04d}", "经理") for i in range(10)]
    new = [(f"新客户 {i}", f"1370000{i:04d}", None, None, None, None) for i in range(5)]
    rows = [dict(zip(columns, row, strict=True)) for row in first + again + new]
    job, _ = await start_import(
        viewer,
        ImportRequest(kind=ImportKind.CUSTOMERS, mode=ImportMode.UPSERT, rows=rows),
    )

    # when
    status = await run_import(job.id, chunk_size=10)

    # then: no duplicate, the first chunk's customers and contacts updated by the second
    assert status == ImportStatus.COMPLETED
    done = await ImportJob.get(id=job.id)
    assert (done.created_count, done.updated_count, done.failed_count) == (15, 10, 0)
    customers = await Customer.filter(workspace_id=viewer.workspace_id).order_by("id")
    assert [c.industry for c in customers] == ["软件"] * 10 + [None] * 5
    contacts = await Contact.filter(workspace_id=viewer.workspace_id).order_by("id")
    assert [(c.name, c.title) for c in contacts] == [(f"联系人 {i}", "经理") for i in range(10)]


async def test_a_run_whose_job_was_taken_over_writes_nothing_more(workspace: Account):
    # given: 30 rows in chunks of 10; after the first chunk another worker takes the job
    viewer = await viewer_of(workspace)
    rows = [{"name": f"客户 {i:02d}", "phone": f"1380000{i:04d}"} for i in range(30)]
    job, _ = await start_import(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows))

    async def taken_over_after_the_first_chunk(progress: ImportJob) -> None:
        if progress.processed_rows == 10:
            await ImportJob.filter(id=job.id).update(next_row=21, processed_rows=20)

    # when
    status = await run_import(job.id, chunk_size=10, on_progress=taken_over_after_the_first_chunk)

    # then: the second chunk was rolled back, the third never written; the job is the other's
    assert status is None
    assert await Customer.filter(workspace_id=viewer.workspace_id).count() == 10
    kept = await ImportJob.get(id=job.id)
    assert (kept.status, kept.next_row, kept.processed_rows) == (ImportStatus.RUNNING, 21, 20)
