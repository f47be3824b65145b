"""Rows of one file never overwrite each other, and a dry run reports what the real run
does, whichever chunks the rows fall in, and however many runs the job takes."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import orjson
import pytest

from domain.customers import CustomerData, create_customer
from domain.imports.file_keys import FileKeys, forget_finished
from domain.imports.jobs import ImportRequest, start_import
from domain.imports.runner import run_import
from domain.viewer import Viewer
from models import (
    Activity,
    Contact,
    Customer,
    ImportFileKey,
    ImportJob,
    ImportRowError,
    Opportunity,
)
from models.enums import ImportKind, ImportStatus
from tests.factories import viewer_of
from tests.helpers import Account, count_queries

# Two rows per chunk: each pair of rows below is a chunk of its own.
CHUNK = 2

CUSTOMER_ROWS: list[dict[str, Any]] = [
    {"name": "丙公司", "externalId": "C-1", "phone": "13900000003"},
    {"name": "戊公司", "externalId": "E-1"},
    # another external id with row 1's new phone: not row 1's customer renumbered
    {"name": "丁公司", "externalId": "C-2", "phone": "139 0000 0003"},
    {"name": "己公司", "externalId": "F-1"},
    # row 1's customer again, contradicting it
    {"name": "丙物流", "externalId": "C-1"},
    # row 1's customer again, giving what no row gave it
    {
        "externalId": "C-1",
        "industry": "软件",
        "contact.name": "李娜",
        "contact.phone": "13700000001",
    },
    # a customer without an external id …
    {"name": "庚公司", "phone": "13900000007"},
    {"name": "辛公司", "email": "xin@example.com"},
    # … found by its phone, renamed by a later row: never
    {"name": "庚物流", "phone": "13900000007"},
    # row 6's contact, given another title than none: fine; another name: never
    {"externalId": "C-1", "contact.phone": "13700000001", "contact.title": "经理"},
    {"externalId": "C-1", "contact.phone": "13700000001", "contact.name": "李四"},
]


async def _job(viewer: Viewer, kind: ImportKind, rows: list[dict[str, Any]], *, dry: bool) -> int:
    job, _ = await start_import(viewer, ImportRequest(kind=kind, rows=rows, dry_run=dry))
    return job.id


async def _outcome(job_id: int) -> tuple[Any, ...]:
    job = await ImportJob.get(id=job_id)
    errors = await ImportRowError.filter(job_id=job_id).order_by("row", "id")
    return (
        job.status,
        job.created_count,
        job.updated_count,
        job.skipped_count,
        job.failed_count,
        job.matched_by,
        [(e.row, e.field, e.code, e.message) for e in errors],
    )


async def _snapshot(workspace_id: int) -> list[Any]:
    return [
        await model.filter(workspace_id=workspace_id).order_by("id").values()
        for model in (Customer, Contact, Opportunity, Activity)
    ]


async def _run(job_id: int, *, slices: bool) -> None:
    """The job to its end: in one run, or (`slices`) one chunk per run, as a worker whose
    time slice ends after each chunk leaves it, and another resumes it."""
    if not slices:
        assert await run_import(job_id, chunk_size=CHUNK) == ImportStatus.COMPLETED
        return
    runs = 0
    while (status := await run_import(job_id, chunk_size=CHUNK, should_stop=lambda: True)) != (
        ImportStatus.COMPLETED
    ):
        assert status == ImportStatus.QUEUED
        runs += 1
        # what its rows did so far is in the database, not in the worker that stopped
        assert await ImportFileKey.filter(job_id=job_id).exists()
    assert runs > 1


async def _dry_then_real(
    viewer: Viewer, kind: ImportKind, rows: list[dict[str, Any]], *, slices: bool = False
) -> tuple[Any, ...]:
    """Runs the file dry, then for real; both must report the same, the first writing
    nothing, and neither leaving its bookkeeping behind."""
    before = await _snapshot(viewer.workspace_id)
    dry = await _job(viewer, kind, rows, dry=True)
    await _run(dry, slices=slices)
    assert await _snapshot(viewer.workspace_id) == before
    real = await _job(viewer, kind, rows, dry=False)
    await _run(real, slices=slices)
    assert await _outcome(real) == await _outcome(dry)
    assert not await ImportFileKey.filter(job_id__in=[dry, real]).exists()
    return await _outcome(real)


@pytest.mark.parametrize("slices", [False, True], ids=["one run", "a run per chunk"])
async def test_customer_rows_in_different_chunks_never_overwrite_each_other(
    workspace: Account, slices: bool
):
    # given
    viewer = await viewer_of(workspace)

    # when: the file is tried, then run, two rows per chunk
    outcome = await _dry_then_real(viewer, ImportKind.CUSTOMERS, CUSTOMER_ROWS, slices=slices)

    # then
    status, created, updated, skipped, failed, matched_by, errors = outcome
    assert (status, created, updated, skipped, failed) == (ImportStatus.COMPLETED, 5, 2, 0, 4)
    assert matched_by == {"externalId": 2}
    assert [error[:3] for error in errors] == [
        (3, "externalId", "CONFLICT"),
        (5, "name", "CONFLICT"),
        (9, "name", "CONFLICT"),
        (11, "contact.name", "CONFLICT"),
    ]
    assert "“丙公司” (external id “C-1”, created by row 1)" in errors[0][3]
    assert "Row 1 of this file gave this customer name “丙公司”, this row “丙物流”" in errors[1][3]
    assert "Row 7 of this file gave this customer name “庚公司”" in errors[2][3]
    assert "Row 6 of this file gave this contact contact.name “李娜”" in errors[3][3]
    stored = Customer.filter(workspace_id=viewer.workspace_id).order_by("id")
    assert [(c.name, c.external_id, c.industry) for c in await stored] == [
        ("丙公司", "C-1", "软件"),
        ("戊公司", "E-1", None),
        ("己公司", "F-1", None),
        ("庚公司", None, None),
        ("辛公司", None, None),
    ]
    contacts = Contact.filter(workspace_id=viewer.workspace_id)
    assert [(c.name, c.title) for c in await contacts] == [("李娜", "经理")]


async def test_a_rerun_of_a_file_matches_what_its_first_run_created(workspace: Account):
    # given: the file ran once
    viewer = await viewer_of(workspace)
    first = await _job(viewer, ImportKind.CUSTOMERS, CUSTOMER_ROWS, dry=False)
    await _run(first, slices=False)

    # when: it runs again (its rows are now stored customers, created by another job)
    outcome = await _dry_then_real(viewer, ImportKind.CUSTOMERS, CUSTOMER_ROWS)

    # then: the rows that passed update what they created; those that failed fail again
    _, created, updated, _, failed, _, errors = outcome
    assert (created, updated, failed) == (0, 7, 4)
    assert [error[:3] for error in errors] == [
        (3, "externalId", "CONFLICT"),
        (5, "name", "CONFLICT"),
        (9, "name", "CONFLICT"),
        (11, "contact.name", "CONFLICT"),
    ]


async def test_a_later_chunk_compares_cells_as_values_not_as_text(workspace: Account):
    # given: row 1's tags and kind repeated, in other words, by rows of later chunks
    viewer = await viewer_of(workspace)
    first = {"name": "壬公司", "externalId": "K-1", "tags": "重点、VIP", "kind": "企业"}
    rows = [
        first,
        {"name": "癸公司"},
        {**first, "tags": "重点,VIP", "kind": "COMPANY", "industry": "软件"},
        {"name": "子公司"},
        {"externalId": "K-1", "tags": "VIP"},
    ]

    # when
    outcome = await _dry_then_real(viewer, ImportKind.CUSTOMERS, rows)

    # then: the same values pass, a different one fails
    _, created, updated, _, failed, _, errors = outcome
    assert (created, updated, failed) == (3, 1, 1)
    assert [error[:3] for error in errors] == [(5, "tags", "CONFLICT")]
    assert "Row 1 of this file gave this customer tags “重点, VIP”, this row “VIP”" in errors[0][3]


async def test_a_dry_run_finds_stored_customers_by_the_keys_earlier_chunks_gave_them(
    workspace: Account,
):
    # given: 甲 has an external id and a phone, 乙 a phone only
    viewer = await viewer_of(workspace)
    await create_customer(
        viewer, CustomerData(name="甲公司", external_id="A-1", phone="13900000001")
    )
    await create_customer(viewer, CustomerData(name="乙公司", phone="13900000002"))
    rows = [
        # 乙 by its phone takes an external id; 甲 by its external id, another phone
        {"externalId": "B-1", "phone": "13900000002"},
        {"externalId": "A-1", "phone": "13900000009"},
        # 乙 by the external id row 1 gave it; 甲's old phone, which 甲 no longer has
        {"externalId": "B-1", "industry": "制造"},
        {"name": "新公司", "phone": "13900000001"},
        # 甲 by the phone row 2 gave it
        {"phone": "13900000009", "industry": "软件"},
    ]

    # when
    outcome = await _dry_then_real(viewer, ImportKind.CUSTOMERS, rows, slices=True)

    # then
    status, created, updated, _, failed, matched_by, _ = outcome
    assert (status, created, updated, failed) == (ImportStatus.COMPLETED, 1, 4, 0)
    assert matched_by == {"externalId": 2, "phone": 2}
    stored = Customer.filter(workspace_id=viewer.workspace_id).order_by("id")
    assert [(c.name, c.external_id, c.phone, c.industry) for c in await stored] == [
        ("甲公司", "A-1", "13900000009", "软件"),
        ("乙公司", "B-1", "13900000002", "制造"),
        ("新公司", None, "13900000001", None),
    ]


async def test_contact_rows_in_different_chunks_never_overwrite_each_other(workspace: Account):
    # given
    viewer = await viewer_of(workspace)
    await create_customer(viewer, CustomerData(name="甲公司", external_id="A-1"))
    rows = [
        {"customer.externalId": "A-1", "name": "王伟", "phone": "13900000001"},
        {"customer.externalId": "A-1", "name": "李娜", "email": "li@example.com"},
        # row 1's contact again: a title no row gave it, then another name
        {"customer.externalId": "A-1", "phone": "139 0000 0001", "title": "经理"},
        {"customer.externalId": "A-1", "phone": "13900000001", "name": "王五"},
        # row 2's contact by its e-mail, and row 1's by its phone: two contacts
        {"customer.externalId": "A-1", "email": "li@example.com", "phone": "13900000001"},
    ]

    # when
    outcome = await _dry_then_real(viewer, ImportKind.CONTACTS, rows)

    # then
    status, created, updated, _, failed, _, errors = outcome
    assert (status, created, updated, failed) == (ImportStatus.COMPLETED, 2, 1, 2)
    assert [error[:3] for error in errors] == [(4, "name", "CONFLICT"), (5, "phone", "CONFLICT")]
    assert "Row 1 of this file gave this contact name “王伟”" in errors[0][3]
    assert "created by row 1" in errors[1][3] and "created by row 2" in errors[1][3]
    contacts = Contact.filter(workspace_id=viewer.workspace_id).order_by("id")
    assert [(c.name, c.title) for c in await contacts] == [("王伟", "经理"), ("李娜", None)]


async def test_deal_rows_in_different_chunks_never_overwrite_each_other(workspace: Account):
    # given
    viewer = await viewer_of(workspace)
    await create_customer(viewer, CustomerData(name="甲公司", external_id="A-1"))
    rows = [
        {"customer.externalId": "A-1", "name": "年度合同", "externalId": "D-1", "amount": "100"},
        {"customer.externalId": "A-1", "name": "硬件采购"},
        # row 1's deal by its name, without the external id: the same amount, a date
        {
            "customer.externalId": "A-1",
            "name": "年度合同",
            "amount": "100.00",
            "expectedCloseDate": "2026-06-30",
        },
        # by its external id, another amount
        {"customer.externalId": "A-1", "name": "年度合同", "externalId": "D-1", "amount": "200"},
        # row 2's deal by name, with an external id of another deal's
        {"customer.externalId": "A-1", "name": "硬件采购", "externalId": "D-1"},
    ]

    # when
    outcome = await _dry_then_real(viewer, ImportKind.OPPORTUNITIES, rows)

    # then
    status, created, updated, _, failed, _, errors = outcome
    assert (status, created, updated, failed) == (ImportStatus.COMPLETED, 2, 1, 2)
    assert [error[:3] for error in errors] == [
        (4, "amount", "CONFLICT"),
        (5, "name", "CONFLICT"),
    ]
    assert "Row 1 of this file gave this deal amount “100.00”, this row “200.00”" in errors[0][3]
    assert "created by row 1" in errors[1][3] and "created by row 2" in errors[1][3]


async def test_activity_rows_in_different_chunks_never_overwrite_each_other(workspace: Account):
    # given
    viewer = await viewer_of(workspace)
    await create_customer(viewer, CustomerData(name="甲公司", external_id="A-1"))
    call = {"customer.externalId": "A-1", "occurredAt": "2026-03-05 10:00", "content": "初次拜访"}
    rows = [
        {**call, "externalId": "V-1", "nextFollowUpAt": "2026-03-12"},
        {**call, "content": "第二次拜访"},
        # row 1's activity by its content and time: the same follow-up, then another
        {**call, "nextFollowUpAt": "2026-03-12"},
        {**call, "externalId": "V-1", "nextFollowUpAt": "2026-03-19"},
    ]

    # when
    outcome = await _dry_then_real(viewer, ImportKind.ACTIVITIES, rows)

    # then
    status, created, updated, _, failed, _, errors = outcome
    assert (status, created, updated, failed) == (ImportStatus.COMPLETED, 2, 1, 1)
    assert [error[:3] for error in errors] == [(4, "nextFollowUpAt", "CONFLICT")]
    assert "Row 1 of this file gave this activity nextFollowUpAt" in errors[0][3]


async def test_chunks_of_a_thousand_rows_see_each_other(workspace: Account):
    # given: 1,100 customers, the last repeating the first one's new phone under another
    # external id, in the second chunk of 1,000 rows
    viewer = await viewer_of(workspace)
    rows = [
        {"name": f"客户 {i}", "externalId": f"C-{i}", "phone": f"138{i:08d}"} for i in range(1099)
    ]
    rows.append({"name": "重复", "externalId": "C-X", "phone": "13800000000"})

    # when
    outcomes = []
    for dry in (True, False):
        job = await _job(viewer, ImportKind.CUSTOMERS, rows, dry=dry)
        assert await run_import(job) == ImportStatus.COMPLETED
        outcomes.append(await _outcome(job))

    # then
    assert outcomes[0] == outcomes[1]
    _, created, _, _, failed, _, errors = outcomes[1]
    assert (created, failed) == (1099, 1)
    assert [error[:3] for error in errors] == [(1100, "externalId", "CONFLICT")]


async def test_the_sweeper_forgets_what_rows_of_finished_jobs_did(workspace: Account):
    # given: a job stopped after its first chunk, and one that finished
    viewer = await viewer_of(workspace)
    paused = await _job(viewer, ImportKind.CUSTOMERS, CUSTOMER_ROWS, dry=False)
    assert await run_import(paused, chunk_size=CHUNK, should_stop=lambda: True) == (
        ImportStatus.QUEUED
    )
    finished = await _job(viewer, ImportKind.CUSTOMERS, CUSTOMER_ROWS[:1], dry=True)
    assert await run_import(finished) == ImportStatus.COMPLETED
    # (as if its worker had finished it some other way, leaving its lines)
    await ImportFileKey.create(job_id=finished, key="x", record_id=None, row=1, state="{}")

    # when
    await forget_finished()

    # then: the paused job keeps what its first chunk did, for the chunks to come
    assert await ImportFileKey.filter(job_id=paused).exists()
    assert not await ImportFileKey.filter(job_id=finished).exists()


@pytest.mark.parametrize("dry", [False, True], ids=["real", "dry"])
async def test_keeping_rows_apart_costs_the_same_statements_whatever_the_chunk_size(
    workspace: Account, dry: bool
):
    # given: two files of two chunks each, of 5 and of 50 rows; each chunk's rows are new
    # customers with a contact, and the second chunk repeats the first's
    viewer = await viewer_of(workspace)
    counts = []
    for size in (5, 50):
        new = [
            {
                "name": f"客户 {size}-{i}",
                "externalId": f"S{size}-{i}",
                "contact.name": f"联系人 {i}",
                "contact.phone": f"137{size:03d}{i:05d}",
            }
            for i in range(size)
        ]
        again = [{"externalId": row["externalId"], "industry": "软件"} for row in new]
        job = await _job(viewer, ImportKind.CUSTOMERS, new + again, dry=dry)

        # when
        with count_queries() as statements:
            assert await run_import(job, chunk_size=size) == ImportStatus.COMPLETED

        # then
        assert await _outcome(job) == (
            ImportStatus.COMPLETED,
            size,
            size,
            0,
            0,
            {"externalId": size},
            [],
        )
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("dry", [False, True], ids=["real", "dry"])
async def test_a_chunk_that_fails_as_it_commits_leaves_nothing_and_is_redone(
    workspace: Account, monkeypatch: pytest.MonkeyPatch, dry: bool
):
    # given: the file's third chunk fails once, at the very end of its transaction
    viewer = await viewer_of(workspace)
    job = await _job(viewer, ImportKind.CUSTOMERS, CUSTOMER_ROWS, dry=dry)
    save = FileKeys.save
    saved = 0

    async def fails_once(self: FileKeys) -> None:
        nonlocal saved
        saved += 1
        await save(self)
        if saved == 3:
            raise RuntimeError("the connection was lost")

    monkeypatch.setattr(FileKeys, "save", fails_once)

    # when: the run fails there, and another resumes the job at its checkpoint
    with pytest.raises(RuntimeError):
        await run_import(job, chunk_size=CHUNK)
    assert (await ImportJob.get(id=job)).next_row == 5
    assert await run_import(job, chunk_size=CHUNK, stale_after=timedelta(0)) == (
        ImportStatus.COMPLETED
    )

    # then: as if it had never failed (see the first test)
    status, created, updated, skipped, failed, _, errors = await _outcome(job)
    assert (status, created, updated, skipped, failed) == (ImportStatus.COMPLETED, 5, 2, 0, 4)
    assert [error[:3] for error in errors] == [
        (3, "externalId", "CONFLICT"),
        (5, "name", "CONFLICT"),
        (9, "name", "CONFLICT"),
        (11, "contact.name", "CONFLICT"),
    ]
    assert await Customer.filter(workspace_id=viewer.workspace_id).count() == (0 if dry else 5)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_dry_run_of_a_file_of_many_chunks_reports_what_the_real_run_does(
    workspace: Account, seed: int
):
    # given: stored customers, and a file whose rows name them and each other again and
    # again by overlapping keys, in chunks of 7 rows
    viewer = await viewer_of(workspace)
    for i in range(4):
        await create_customer(
            viewer,
            CustomerData(
                name=f"老客户 {i}",
                external_id=f"S-{i}" if i % 2 else None,
                phone=f"1380000000{i}",
            ),
        )
    pick = random.Random(seed)
    rows = []
    for _ in range(80):
        row: dict[str, Any] = {}
        if pick.random() < 0.6:
            row["externalId"] = pick.choice(["S-1", "S-3", "N-1", "N-2", "N-3", "N-4"])
        if pick.random() < 0.5:
            row["phone"] = f"1380000000{pick.randrange(8)}"
        if pick.random() < 0.3:
            row["email"] = f"e{pick.randrange(5)}@example.com"
        if pick.random() < 0.5:
            row["name"] = pick.choice(["甲", "乙", "丙"]) + "公司"
        if pick.random() < 0.4:
            row["industry"] = pick.choice(["软件", "制造"])
        if pick.random() < 0.3:
            row["contact.name"] = pick.choice(["王伟", "李娜"])
            row["contact.phone"] = f"1370000000{pick.randrange(3)}"
        rows.append(row or {"name": "空公司"})
    outcomes = []
    before = await _snapshot(viewer.workspace_id)

    # when
    for dry in (True, False):
        job = await _job(viewer, ImportKind.CUSTOMERS, rows, dry=dry)
        assert await run_import(job, chunk_size=7) == ImportStatus.COMPLETED
        outcomes.append(await _outcome(job))
        if dry:
            assert await _snapshot(viewer.workspace_id) == before

    # then: the same counts, matches and row errors, of every kind
    assert outcomes[0] == outcomes[1]
    _, created, updated, _, failed, _, errors = outcomes[1]
    assert created and updated and failed
    assert {error[2] for error in errors} >= {"CONFLICT"}


async def test_a_customer_named_on_every_row_keeps_a_state_as_large_as_its_cells(
    workspace: Account,
):
    # given: one customer on 20 rows, a contact each, then a row renaming it
    viewer = await viewer_of(workspace)
    rows: list[dict[str, Any]] = [
        {
            "externalId": "C-1",
            "name": "丙公司",
            "contact.name": f"联系人 {i}",
            "contact.phone": f"1370000{i:04d}",
        }
        for i in range(20)
    ]
    rows.append({"externalId": "C-1", "name": "丙物流"})
    job = await _job(viewer, ImportKind.CUSTOMERS, rows, dry=False)

    # when: all but the last chunk
    for _ in range(10):
        assert await run_import(job, chunk_size=CHUNK, should_stop=lambda: True) == (
            ImportStatus.QUEUED
        )

    # then: what rows gave the customer is what row 1 gave it, once
    latest = await ImportFileKey.filter(job_id=job).order_by("-id").first()
    assert latest is not None
    state = orjson.loads(latest.state)
    assert [row for row, _, _ in state["given"]] == [1]
    assert len(state["contacts"]) == 20

    # and the last row still fails naming row 1
    assert await run_import(job, chunk_size=CHUNK) == ImportStatus.COMPLETED
    _, created, updated, _, failed, _, errors = await _outcome(job)
    assert (created, updated, failed) == (1, 19, 1)
    assert "Row 1 of this file gave this customer name “丙公司”" in errors[0][3]
