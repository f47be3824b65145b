"""Customer imports run by a real arq worker: exact counts, row errors, resumable chunks."""

from datetime import UTC, datetime, timedelta

import pytest
from arq import ArqRedis
from arq.worker import Worker
from redis.asyncio import Redis

from crm.queues import IMPORTS_QUEUE, created_stamp, enqueue_import, import_job_id
from domain.api_keys import create_api_key
from domain.custom_fields import CustomFieldData, define_custom_field
from domain.imports import runner
from domain.imports.jobs import ImportRequest, cancel_import, start_import, unfinished_jobs
from domain.imports.runner import acting_viewer, run_import
from domain.viewer import Viewer
from models import ApiKey, Customer, ImportJob, ImportRowError
from models.enums import (
    CustomFieldEntity,
    CustomFieldType,
    ImportKind,
    ImportMode,
    ImportStatus,
    Role,
)
from tests.factories import viewer_of
from tests.helpers import Account
from tests.ops.processes import free_port
from workers.imports import run_import_job, sweep_imports

GB18030_CSV = (
    "客户名称,电话,邮箱,类型,标签\n"
    "北京星辰科技有限公司,+86 138-0013-8000,info@xingchen.cn,企业,重点客户、VIP\n"
    "坏电话公司,call me,bad@x.cn,企业,\n"
    "上海浦江贸易,021-55550100,,公司,\n"
    ",13700001111,noname@x.cn,个人,\n"
    "王小明,13700002222,not-an-email,个人,老客户\n"
).encode("gb18030")


async def _run_on_worker(arq_redis: ArqRedis, queue_name: str, job: ImportJob) -> Worker:
    await arq_redis.enqueue_job("run_import_job", job.id, _queue_name=queue_name)
    worker = Worker(
        functions=[run_import_job],
        redis_pool=arq_redis,
        queue_name=queue_name,
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    await worker.main()
    return worker


async def test_a_gb18030_csv_with_bad_rows_lands_every_good_row(
    workspace: Account, arq_redis: ArqRedis, queue_name: str
):
    # given
    viewer = await viewer_of(workspace)
    job, created = await start_import(
        viewer,
        ImportRequest(kind=ImportKind.CUSTOMERS, file=GB18030_CSV, file_name="客户.csv"),
    )
    assert created and job.status == ImportStatus.QUEUED

    # when
    worker = await _run_on_worker(arq_redis, queue_name, job)

    # then
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    done = await ImportJob.get(id=job.id)
    assert done.status == ImportStatus.COMPLETED
    assert (done.processed_rows, done.created_count, done.failed_count) == (5, 2, 3)
    errors = await ImportRowError.filter(job_id=job.id).order_by("row")
    assert [(e.row, e.field) for e in errors] == [(3, "phone"), (5, "name"), (6, "email")]
    assert errors[0].values["客户名称"] == "坏电话公司"
    names = (
        await Customer.filter(workspace_id=viewer.workspace_id)
        .order_by("id")
        .values_list("name", flat=True)
    )
    assert names == ["北京星辰科技有限公司", "上海浦江贸易"]


async def test_the_same_file_again_as_upsert_creates_nothing(workspace: Account):
    # given: the file imported once
    viewer = await viewer_of(workspace)
    first, _ = await start_import(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=GB18030_CSV, file_name="a.csv")
    )
    assert await run_import(first.id) == ImportStatus.COMPLETED

    # when: again, matched on phone
    again, _ = await start_import(
        viewer,
        ImportRequest(
            kind=ImportKind.CUSTOMERS,
            mode=ImportMode.UPSERT,
            file=GB18030_CSV,
            file_name="a.csv",
            match_on=["phone"],
        ),
    )
    assert await run_import(again.id) == ImportStatus.COMPLETED

    # then
    done = await ImportJob.get(id=again.id)
    assert (done.created_count, done.updated_count, done.failed_count) == (0, 2, 3)
    assert await Customer.filter(workspace_id=viewer.workspace_id).count() == 2


async def test_json_rows_match_on_external_id(workspace: Account):
    # given
    viewer = await viewer_of(workspace)
    rows = [{"externalId": f"ERP-{i}", "name": f"客户 {i}"} for i in range(5)]
    job, _ = await start_import(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows))
    await run_import(job.id)

    # when: the ERP sends the same ids with new names
    renamed = [{"externalId": f"ERP-{i}", "name": f"新名字 {i}"} for i in range(5)]
    job2, _ = await start_import(
        viewer,
        ImportRequest(kind=ImportKind.CUSTOMERS, rows=renamed, match_on=["externalId"]),
    )
    await run_import(job2.id)

    # then
    done = await ImportJob.get(id=job2.id)
    assert (done.created_count, done.updated_count) == (0, 5)
    names = await Customer.filter(workspace_id=viewer.workspace_id).order_by("external_id")
    assert [c.name for c in names] == [f"新名字 {i}" for i in range(5)]


async def test_the_same_idempotency_key_returns_the_same_job(workspace: Account):
    viewer = await viewer_of(workspace)
    request = ImportRequest(
        kind=ImportKind.CUSTOMERS, rows=[{"name": "一次"}], idempotency_key="nightly-2026-11-29"
    )
    first, created_first = await start_import(viewer, request)
    second, created_second = await start_import(viewer, request)
    assert (created_first, created_second) == (True, False)
    assert first.id == second.id


async def test_a_worker_stopping_between_chunks_loses_and_repeats_nothing(workspace: Account):
    # given: 25 rows, 10 per chunk, and a worker told to stop after its first chunk
    viewer = await viewer_of(workspace)
    rows = [{"name": f"客户 {i:02d}", "phone": f"1380000{i:04d}"} for i in range(25)]
    job, _ = await start_import(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows))

    # when
    status = await run_import(job.id, chunk_size=10, should_stop=lambda: True)

    # then: the job went back to the queue at its checkpoint …
    assert status == ImportStatus.QUEUED
    paused = await ImportJob.get(id=job.id)
    assert (paused.status, paused.next_row, paused.processed_rows) == (ImportStatus.QUEUED, 11, 10)
    assert job.id in [unfinished.id for unfinished in await unfinished_jobs()]

    # … and another worker finishes it with exact counts
    assert await run_import(job.id, chunk_size=10) == ImportStatus.COMPLETED
    done = await ImportJob.get(id=job.id)
    assert (done.processed_rows, done.created_count, done.total_rows) == (25, 25, 25)
    assert await Customer.filter(workspace_id=viewer.workspace_id).count() == 25


async def test_cancel_stops_at_the_next_chunk_and_keeps_what_was_committed(workspace: Account):
    # given: a running job of three chunks, cancelled by its owner after the first one
    viewer = await viewer_of(workspace)
    rows = [{"name": f"客户 {i:02d}"} for i in range(30)]
    job, _ = await start_import(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows))
    seen: list[tuple[ImportStatus, int]] = []

    async def cancel_after_first_chunk(progress: ImportJob) -> None:
        seen.append((progress.status, progress.processed_rows))
        if len(seen) == 1:
            requested = await cancel_import(viewer, job.id)
            assert requested.status == ImportStatus.RUNNING  # stops at the chunk boundary

    # when
    status = await run_import(job.id, chunk_size=10, on_progress=cancel_after_first_chunk)

    # then
    assert status == ImportStatus.CANCELLED
    assert seen == [(ImportStatus.RUNNING, 10), (ImportStatus.CANCELLED, 10)]
    done = await ImportJob.get(id=job.id)
    assert (done.status, done.processed_rows) == (ImportStatus.CANCELLED, 10)
    assert await Customer.filter(workspace_id=viewer.workspace_id).count() == 10


async def test_a_queued_job_is_cancelled_at_once(workspace: Account):
    viewer = await viewer_of(workspace)
    job, _ = await start_import(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=[{"name": "x"}])
    )

    cancelled = await cancel_import(viewer, job.id)

    assert cancelled.status == ImportStatus.CANCELLED
    assert await run_import(job.id) is None  # no worker takes a cancelled job
    assert await Customer.filter(workspace_id=viewer.workspace_id).count() == 0


async def test_the_sweeper_nudges_unfinished_imports_once(workspace: Account, arq_redis: ArqRedis):
    # given: a queued import whose nudge was lost
    viewer = await viewer_of(workspace)
    job, _ = await start_import(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=[{"name": "x"}])
    )

    # when: the sweeper runs twice
    await sweep_imports({"redis": arq_redis})
    await sweep_imports({"redis": arq_redis})

    # then: exactly one arq job waits for it on the imports queue
    queued = await arq_redis.queued_jobs(queue_name=IMPORTS_QUEUE)
    mine = [j for j in queued if j.job_id == import_job_id(job)]
    assert len(mine) == 1
    # Leave the shared queue as we found it: no worker of this suite reads it.
    for queued_job in await arq_redis.queued_jobs(queue_name=IMPORTS_QUEUE):
        await arq_redis.delete(f"arq:job:{queued_job.job_id}")
        await arq_redis.zrem(IMPORTS_QUEUE, queued_job.job_id)


async def test_a_nudge_left_by_another_database_does_not_block_ours(
    workspace: Account, arq_redis: ArqRedis
):
    # given: a Redis still holding a nudge for job number N of another database (a test
    # database recreated, a staging copy sharing the Redis): same number, other job
    viewer = await viewer_of(workspace)
    job, _ = await start_import(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=[{"name": "x"}])
    )
    other = ImportJob(id=job.id, next_row=1, created_at=job.created_at - timedelta(days=1))
    await enqueue_import(arq_redis, other)

    # when: our job is nudged
    await enqueue_import(arq_redis, job)

    # then: ours is queued beside the leftover, not swallowed by it
    queued = {j.job_id for j in await arq_redis.queued_jobs(queue_name=IMPORTS_QUEUE)}
    assert {import_job_id(job), import_job_id(other)} <= queued
    for job_id in (import_job_id(job), import_job_id(other)):
        await arq_redis.delete(f"arq:job:{job_id}")
        await arq_redis.zrem(IMPORTS_QUEUE, job_id)


async def test_a_nudge_for_another_databases_job_of_the_same_number_runs_nothing(
    workspace: Account, arq_redis: ArqRedis
):
    # given: our queued job, and a nudge naming its number with another creation instant
    viewer = await viewer_of(workspace)
    job, _ = await start_import(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=[{"name": "x"}])
    )
    stranger = int((job.created_at - timedelta(days=1)).timestamp() * 1_000_000)

    # when: a worker receives it
    outcome = await run_import_job({"redis": arq_redis}, job.id, stranger)

    # then: our job is left for its own nudge
    assert outcome is None
    assert (await ImportJob.get(id=job.id)).status == ImportStatus.QUEUED


async def test_an_import_acts_with_the_role_of_the_key_that_started_it(workspace: Account):
    # given: an integrator's MANAGER key starts an import, and another key is revoked after
    admin = await viewer_of(workspace)
    manager_key, _ = await create_api_key(admin, name="ERP", role=Role.MANAGER)
    revoked_key, _ = await create_api_key(admin, name="Old ERP", role=Role.MANAGER)
    jobs = []
    for key in (manager_key, revoked_key):
        as_key = Viewer(workspace_id=admin.workspace_id, role=key.role, api_key_id=key.id)
        job, _ = await start_import(
            as_key, ImportRequest(kind=ImportKind.CUSTOMERS, rows=[{"name": "x"}])
        )
        jobs.append(await ImportJob.get(id=job.id))
    await ApiKey.filter(id=revoked_key.id).update(revoked_at=datetime.now(UTC))

    # when
    acting = [await acting_viewer(job) for job in jobs]

    # then: the job remembers its key, which acts as its creator (the admin) with its own
    # lower role; a revoked key's job runs with the least role
    assert [job.api_key_id for job in jobs] == [manager_key.id, revoked_key.id]
    assert [(v.role, v.api_key_id, v.user_id) for v in acting] == [
        (Role.MANAGER, manager_key.id, admin.user_id),
        (Role.REP, None, None),
    ]


async def test_json_rows_need_not_share_their_keys(workspace: Account):
    # given: objects from a system that leaves out empty keys, and names one column
    # explicitly that the first object does not have
    viewer = await viewer_of(workspace)
    rows = [
        {"客户名称": "甲公司"},
        {"客户名称": "乙公司", "电话": "13800138000"},
        {"客户名称": "丙公司", "邮箱": "c@example.cn", "ERP编号": "E-3"},
        {"客户名称": "丁公司", "传真": "010-1234"},
    ]
    job, _ = await start_import(
        viewer,
        ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows, mapping=[("ERP编号", "externalId")]),
    )

    # when
    assert await run_import(job.id) == ImportStatus.COMPLETED

    # then: each key reached its field from the row it first appeared on
    done = await ImportJob.get(id=job.id)
    assert (done.created_count, done.failed_count) == (4, 0)
    assert done.unmapped_columns == ["传真"]
    stored = await Customer.filter(workspace_id=viewer.workspace_id).order_by("id")
    assert [(c.name, c.phone, c.email, c.external_id) for c in stored] == [
        ("甲公司", None, None, None),
        ("乙公司", "13800138000", None, None),
        ("丙公司", None, "c@example.cn", "E-3"),
        ("丁公司", None, None, None),
    ]


async def test_a_column_headed_by_a_custom_fields_label_fills_it(workspace: Account):
    # given: a custom field whose label, not its key, heads a column
    viewer = await viewer_of(workspace)
    await define_custom_field(
        viewer,
        CustomFieldData(
            entity=CustomFieldEntity.CUSTOMER,
            key="level",
            label="客户等级",
            type=CustomFieldType.SELECT,
            options=["A", "B"],
        ),
    )
    data = "客户名称,客户等级\n甲公司,A\n乙公司,Z\n".encode()

    # when
    job, _ = await start_import(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=data, file_name="客户.csv")
    )
    assert await run_import(job.id) == ImportStatus.COMPLETED

    # then: the values were checked against the definition and stored under its key
    done = await ImportJob.get(id=job.id)
    assert (done.created_count, done.failed_count, done.unmapped_columns) == (1, 1, [])
    errors = await ImportRowError.filter(job_id=job.id).values_list("row", "field")
    assert errors == [(3, "customFields.level")]
    stored = await Customer.get(workspace_id=viewer.workspace_id, name="甲公司")
    assert stored.custom_fields == {"level": "A"}


async def test_names_match_whatever_their_case_in_any_script(workspace: Account):
    # given: customers whose names have letters beyond ASCII
    viewer = await viewer_of(workspace)
    first, _ = await start_import(
        viewer,
        ImportRequest(
            kind=ImportKind.CUSTOMERS,
            rows=[{"name": "Émile Zola SARL"}, {"name": "Ärzte Straße GmbH"}],
        ),
    )
    assert await run_import(first.id) == ImportStatus.COMPLETED

    # when: a file writes them in capitals, matched by name, and contacts name them so too
    again, _ = await start_import(
        viewer,
        ImportRequest(
            kind=ImportKind.CUSTOMERS,
            rows=[{"name": "ÉMILE ZOLA SARL", "industry": "Édition"}],
            match_on=["name"],
        ),
    )
    contacts, _ = await start_import(
        viewer,
        ImportRequest(
            kind=ImportKind.CONTACTS,
            rows=[
                {"customer.name": "ÄRZTE STRASSE GMBH", "name": "x"},
                {"customer.name": "ärzte straße gmbh", "name": "Jürgen"},
            ],
        ),
    )
    assert await run_import(again.id) == ImportStatus.COMPLETED
    assert await run_import(contacts.id) == ImportStatus.COMPLETED

    # then: the same records on SQLite as on PostgreSQL (str.lower, not ASCII-only LOWER)
    matched = await ImportJob.get(id=again.id)
    assert (matched.created_count, matched.updated_count) == (0, 1)
    linked = await ImportJob.get(id=contacts.id)
    assert (linked.created_count, linked.failed_count) == (1, 1)  # "STRASSE" is not "straße"
    assert await Customer.filter(workspace_id=viewer.workspace_id).count() == 2


async def test_an_import_finishes_when_its_progress_cannot_be_announced(workspace: Account):
    # given: a worker whose Redis has gone away (nothing listens on that port)
    viewer = await viewer_of(workspace)
    job, _ = await start_import(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=[{"name": "甲"}, {"name": "乙"}])
    )
    unreachable = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)

    # when
    try:
        outcome = await run_import_job(
            {"redis": unreachable}, job.id, created_stamp(job.created_at)
        )
    finally:
        await unreachable.aclose()

    # then: the rows landed; only the announcements were lost
    assert outcome == ImportStatus.COMPLETED.value
    done = await ImportJob.get(id=job.id)
    assert (done.status, done.created_count) == (ImportStatus.COMPLETED, 2)


async def _failing_applier(viewer, rows, *, mode, match_on):
    raise RuntimeError("the database refused the chunk")


async def test_a_chunk_that_always_fails_fails_the_job_after_a_few_runs(
    workspace: Account, monkeypatch: pytest.MonkeyPatch
):
    # given: 1,500 contact rows whose second chunk can never be written
    viewer = await viewer_of(workspace)
    customers, _ = await start_import(
        viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=[{"name": "甲公司"}])
    )
    assert await run_import(customers.id) == ImportStatus.COMPLETED
    rows = [{"customer.name": "甲公司", "name": f"联系人{i}"} for i in range(1500)]
    job, _ = await start_import(viewer, ImportRequest(kind=ImportKind.CONTACTS, rows=rows))
    real = runner.APPLIERS[ImportKind.CONTACTS]
    calls = 0

    async def second_chunk_fails(viewer, rows, *, mode, match_on, file, through):
        nonlocal calls
        calls += 1
        if rows[0][0] > 1000:
            await _failing_applier(viewer, rows, mode=mode, match_on=match_on)
        return await real(viewer, rows, mode=mode, match_on=match_on, file=file, through=through)

    monkeypatch.setitem(runner.APPLIERS, ImportKind.CONTACTS, second_chunk_fails)

    # when: workers take it up again and again, as the sweeper would have them
    outcomes = []
    for _ in range(runner.MAX_ATTEMPTS):
        try:
            outcomes.append(await run_import(job.id, stale_after=timedelta(0)))
        except RuntimeError:
            outcomes.append("raised")

    # then: retried while it might be passing trouble, then failed, keeping the first chunk
    assert outcomes == ["raised"] * (runner.MAX_ATTEMPTS - 1) + [ImportStatus.FAILED]
    failed = await ImportJob.get(id=job.id)
    assert (failed.status, failed.processed_rows, failed.created_count) == (
        ImportStatus.FAILED,
        1000,
        1000,
    )
    assert "stopped at row 1001" in failed.failure
    assert calls == 1 + runner.MAX_ATTEMPTS


async def test_a_failed_rows_cells_are_stored_even_with_nul_characters(workspace: Account):
    # given: a row from another system with NUL characters, which fails on its phone
    viewer = await viewer_of(workspace)
    rows = [{"name": "甲\x00公司", "phone": "call\x00 me", "备注\x00": "x\x00y"}]
    job, _ = await start_import(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, rows=rows))

    # when
    assert await run_import(job.id) == ImportStatus.COMPLETED

    # then: the row is reported (PostgreSQL refuses NUL in text and jsonb: none is stored)
    [error] = await ImportRowError.filter(job_id=job.id)
    assert error.field == "phone"
    assert error.values == {"name": "甲公司", "phone": "call me", "备注": "xy"}
