"""Contact, activity and deal imports run as jobs: files in, counts, row errors, resumable."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest

from domain.customers import ContactData, CustomerData, create_customer
from domain.errors import DomainError
from domain.imports.jobs import ImportRequest, start_import
from domain.imports.runner import run_import
from domain.viewer import Viewer
from models import (
    Activity,
    Contact,
    Customer,
    ImportJob,
    ImportRowError,
    Opportunity,
    Reminder,
    Stage,
    StageChange,
    User,
    Workspace,
)
from models.enums import ImportKind, ImportMode, ImportStatus, OpportunityStatus, ReminderStatus
from tests.factories import viewer_of
from tests.helpers import Account


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    viewer = await viewer_of(workspace)
    # A team in Shanghai: rows without an offset are on the importing user's clock.
    await Workspace.filter(id=viewer.workspace_id).update(timezone="Asia/Shanghai")
    await User.filter(id=viewer.user_id).update(timezone="Asia/Shanghai")
    for name, external_id, phone in [
        ("上海云帆科技有限公司", "C-1", "021-6888 1234"),
        ("北京华信咨询", "C-2", "010-8765 4321"),
    ]:
        await create_customer(
            viewer,
            CustomerData(
                name=name,
                external_id=external_id,
                phone=phone,
                contacts=[ContactData(name="王伟", phone="13800138000")],
            ),
        )
    return viewer


async def _run(viewer: Viewer, request: ImportRequest) -> ImportJob:
    job, _ = await start_import(viewer, request)
    assert await run_import(job.id) == ImportStatus.COMPLETED
    return await ImportJob.get(id=job.id)


async def _errors(job: ImportJob) -> list[tuple[int, str | None]]:
    return [(e.row, e.field) for e in await ImportRowError.filter(job_id=job.id).order_by("row")]


CONTACTS_CSV = (
    "客户名称,姓名,手机,邮箱,职位,微信\n"
    "上海云帆科技有限公司,李娜,139-1122-3344,lina@yunfan.cn,总经理,lina_wx\n"
    "上海云帆科技有限公司,王伟,13800138000,wangwei@yunfan.cn,采购经理,\n"
    "不存在的公司,张强,13655667788,,,\n"
    "北京华信咨询,赵敏,not a phone,,,\n"
).encode("gb18030")


async def test_a_chinese_contact_csv_lands_every_good_row(viewer: Viewer):
    # when
    job = await _run(
        viewer,
        ImportRequest(kind=ImportKind.CONTACTS, file=CONTACTS_CSV, file_name="联系人.csv"),
    )

    # then: 王伟's phone matched the stored contact, which gains an e-mail and a title
    assert (job.created_count, job.updated_count, job.failed_count) == (1, 1, 2)
    assert job.match_on == ["email", "phone"]
    assert job.unmapped_columns == ["微信"]
    assert await _errors(job) == [(4, "customer.name"), (5, "phone")]
    yunfan = await Customer.get(workspace_id=viewer.workspace_id, external_id="C-1")
    contacts = await Contact.filter(customer_id=yunfan.id).order_by("id")
    assert [(c.name, c.email, c.title, c.is_primary) for c in contacts] == [
        ("王伟", "wangwei@yunfan.cn", "采购经理", True),
        ("李娜", "lina@yunfan.cn", "总经理", False),
    ]


def _follow_up_log(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "跟进记录"
    sheet.append(["客户编号", "跟进方式", "跟进时间", "沟通内容", "下次跟进时间", "联系人"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def test_an_xlsx_follow_up_log_logs_activities_and_their_reminders(viewer: Viewer):
    # given: Excel date cells, a date typed as text, and a serial day number
    data = _follow_up_log(
        [
            [
                "C-1",
                "电话",
                datetime(2026, 3, 5, 14, 30),
                "客户希望下周看演示",
                "2026-03-12",
                "王伟",
            ],
            [
                "C-1",
                "拜访",
                "2026/3/12 10:00",
                "上门演示，反馈很好",
                datetime(2026, 3, 19, 15, 0),
                None,
            ],
            ["C-2", "微信", 46090.5, "发了报价", None, "13800138000"],
            ["C-2", "传真", "2026-03-10", "发了传真", None, None],
        ]
    )

    # when
    job = await _run(
        viewer, ImportRequest(kind=ImportKind.ACTIVITIES, file=data, file_name="跟进.xlsx")
    )

    # then
    assert (job.created_count, job.failed_count) == (3, 1)
    assert await _errors(job) == [(5, "kind")]
    yunfan = await Customer.get(workspace_id=viewer.workspace_id, external_id="C-1")
    logged = await Activity.filter(customer_id=yunfan.id).order_by("occurred_at")
    assert [a.occurred_at for a in logged] == [
        datetime(2026, 3, 5, 6, 30, tzinfo=UTC),
        datetime(2026, 3, 12, 2, 0, tzinfo=UTC),
    ]
    reminders = await Reminder.filter(customer_id=yunfan.id).order_by("id")
    assert [(r.status, r.due_at, r.user_id) for r in reminders] == [
        (ReminderStatus.CANCELLED, datetime(2026, 3, 12, 1, 0, tzinfo=UTC), viewer.user_id),
        (ReminderStatus.PENDING, datetime(2026, 3, 19, 7, 0, tzinfo=UTC), viewer.user_id),
    ]
    yunfan = await Customer.get(id=yunfan.id)
    assert (yunfan.last_activity_at, yunfan.next_follow_up_at) == (
        datetime(2026, 3, 12, 2, 0, tzinfo=UTC),
        datetime(2026, 3, 19, 7, 0, tzinfo=UTC),
    )

    # when: the same file again
    again = await _run(
        viewer, ImportRequest(kind=ImportKind.ACTIVITIES, file=data, file_name="跟进.xlsx")
    )

    # then: nothing is logged twice, no reminder is scheduled twice
    assert (again.created_count, again.updated_count, again.failed_count) == (0, 3, 1)
    assert await Activity.filter(workspace_id=viewer.workspace_id).count() == 3
    assert await Reminder.filter(customer_id=yunfan.id).count() == 2


async def test_an_activity_import_resumed_after_a_stop_repeats_nothing(viewer: Viewer):
    # given: 25 follow-ups of one customer, 10 per chunk, a worker stopping after one chunk
    rows = [
        {
            "客户电话": "021 6888 1234",
            "类型": "电话",
            "时间": f"2026-03-{day:02d} 10:00",
            "内容": f"第 {day} 次通话",
            "下次跟进": f"2026-04-{day:02d}",
        }
        for day in range(1, 26)
    ]
    job, _ = await start_import(viewer, ImportRequest(kind=ImportKind.ACTIVITIES, rows=rows))

    # when
    first = await run_import(job.id, chunk_size=10, should_stop=lambda: True)
    rest = await run_import(job.id, chunk_size=10)

    # then
    assert (first, rest) == (ImportStatus.QUEUED, ImportStatus.COMPLETED)
    done = await ImportJob.get(id=job.id)
    assert (done.processed_rows, done.created_count, done.failed_count) == (25, 25, 0)
    yunfan = await Customer.get(workspace_id=viewer.workspace_id, external_id="C-1")
    assert await Activity.filter(customer_id=yunfan.id).count() == 25
    pending = await Reminder.filter(customer_id=yunfan.id, status=ReminderStatus.PENDING)
    assert [r.due_at for r in pending] == [datetime(2026, 4, 25, 1, 0, tzinfo=UTC)]
    assert await Reminder.filter(customer_id=yunfan.id).count() == 25


DEALS_CSV = (
    "客户名称,商机名称,阶段,金额,币种,预计成交日期,赢率\n"
    '上海云帆科技有限公司,年度订阅,Quote,"¥120,000",,2026/6/30,60%\n'
    "上海云帆科技有限公司,硬件采购,Won,50000,USD,2026-04-01,\n"
    "北京华信咨询,咨询项目,谈判中,1000,,,\n"
).encode()


async def test_a_chinese_deal_csv_creates_deals_in_their_stages(viewer: Viewer):
    # when
    job = await _run(
        viewer, ImportRequest(kind=ImportKind.OPPORTUNITIES, file=DEALS_CSV, file_name="商机.csv")
    )

    # then
    assert (job.created_count, job.failed_count) == (2, 1)
    assert await _errors(job) == [(4, "stage")]
    subscription, hardware = await Opportunity.filter(workspace_id=viewer.workspace_id).order_by(
        "id"
    )
    quote = await Stage.get(id=subscription.stage_id)
    assert (quote.name, subscription.amount, subscription.currency) == ("Quote", 120000, "CNY")
    assert subscription.probability_override == 60
    assert (hardware.status, hardware.currency, hardware.closed_at is not None) == (
        OpportunityStatus.WON,
        "USD",
        True,
    )
    assert await StageChange.filter(opportunity_id__in=[subscription.id, hardware.id]).count() == 2

    # when: JSON rows from an integrator move the subscription on, by its name
    moved = await _run(
        viewer,
        ImportRequest(
            kind=ImportKind.OPPORTUNITIES,
            mode=ImportMode.UPDATE,
            rows=[{"customer": "上海云帆科技有限公司", "name": "年度订阅", "stage": "Contract"}],
        ),
    )

    # then
    assert (moved.updated_count, moved.failed_count) == (1, 0)
    assert (await Stage.get(id=(await Opportunity.get(id=subscription.id)).stage_id)).name == (
        "Contract"
    )


async def test_match_fields_and_mapped_fields_are_checked_against_the_kind(viewer: Viewer):
    # when
    with pytest.raises(DomainError) as raised:
        await start_import(
            viewer,
            ImportRequest(
                kind=ImportKind.ACTIVITIES,
                rows=[{"a": "b"}],
                match_on=["externalId", "email"],
                mapping=[("a", "occurredAt"), ("b", "industry")],
            ),
        )

    # then
    assert [p.field for p in raised.value.problems] == [
        "input.matchOn.1",
        "input.mapping.1.field",
    ]
    assert "use externalId, content" in raised.value.problems[0].message
