"""The activity row applier, on the real database: what logActivity does, set-based."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.activities import ActivityData, log_activity
from domain.customers import ContactData
from domain.errors import ErrorCode
from domain.imports.activity_rows import apply_activity_rows
from domain.imports.cells import ChunkResult
from domain.opportunities import OpportunityData, create_opportunity
from domain.viewer import Viewer
from models import Activity, Contact, Customer, Opportunity, Reminder, User, Workspace
from models.enums import ActivityKind, ImportMode, ReminderStatus, Role
from tests.factories import domain_customer, viewer_of
from tests.helpers import Account, GraphQL, count_queries
from tests.imports.kinds import apply_rows, failures


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    # A team in Shanghai: rows without an offset are on the importing user's clock.
    viewer = await viewer_of(workspace)
    await Workspace.filter(id=viewer.workspace_id).update(timezone="Asia/Shanghai")
    await User.filter(id=viewer.user_id).update(timezone="Asia/Shanghai")
    return viewer


async def apply(
    viewer: Viewer,
    rows: list[dict[str, str | None]],
    *,
    mode: ImportMode = ImportMode.UPSERT,
    match_on: tuple[str, ...] = ("externalId", "content"),
    first_row: int = 1,
) -> ChunkResult:
    return await apply_rows(
        apply_activity_rows, viewer, rows, mode=mode, match_on=match_on, first_row=first_row
    )


async def activities_of(customer_id: int) -> list[Activity]:
    return await Activity.filter(customer_id=customer_id).order_by("occurred_at", "id")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def test_activities_are_logged_with_kinds_times_contacts_and_authors(viewer: Viewer):
    # given
    rep = await User.create(
        workspace_id=viewer.workspace_id,
        name="销售小李",
        email=f"li-{viewer.workspace_id}@example.com",
        password_hash="x",
    )
    a = await domain_customer(
        viewer,
        "云帆科技",
        contacts=[ContactData(name="王伟", phone="13900000001"), ContactData(name="李娜")],
    )

    # when: Shanghai wall-clock times, in the forms spreadsheets hold
    result = await apply(
        viewer,
        [
            {
                "customer.name": "云帆科技",
                "kind": "电话",
                "occurredAt": "2026/3/5 14:30",
                "content": "约了演示",
                "contact": "王伟",
            },
            {
                "customer.name": "云帆科技",
                "kind": "拜访",
                "occurredAt": "2026-03-06",
                "content": "上门演示",
                "contact": "139 0000 0001",
                "author": "销售小李",
            },
            {
                "customer.name": "云帆科技",
                "kind": "微信",
                "occurredAt": "2026年3月7日 9点05分",
                "content": "发了报价",
                "author": rep.email.upper(),
            },
            {
                "customer.name": "云帆科技",
                "kind": "MEETING",
                "occurredAt": "2026-03-08T02:00:00Z",
                "content": "签约会",
            },
            {"customer.name": "云帆科技", "occurredAt": "46090.5", "content": "没写方式"},
        ],
        mode=ImportMode.CREATE,
    )

    # then
    assert (result.created, result.failures) == (5, [])
    stored = await activities_of(a.id)
    wang = await Contact.get(customer_id=a.id, name="王伟")
    assert [(x.kind, x.occurred_at, x.content) for x in stored] == [
        (ActivityKind.CALL, utc(2026, 3, 5, 6, 30), "约了演示"),
        (ActivityKind.VISIT, utc(2026, 3, 6, 1, 0), "上门演示"),  # a date alone: 09:00
        (ActivityKind.MESSAGE, utc(2026, 3, 7, 1, 5), "发了报价"),
        (ActivityKind.MEETING, utc(2026, 3, 8, 2, 0), "签约会"),
        (ActivityKind.OTHER, utc(2026, 3, 9, 4, 0), "没写方式"),  # Excel day 46090.5, noon
    ]
    assert [x.contact_id for x in stored] == [wang.id, wang.id, None, None, None]
    assert [x.author_id for x in stored] == [
        viewer.user_id,
        rep.id,
        rep.id,
        viewer.user_id,
        viewer.user_id,
    ]
    assert (await Customer.get(id=a.id)).last_activity_at == utc(2026, 3, 9, 4, 0)


async def test_a_follow_up_schedules_a_reminder_as_log_activity_does(viewer: Viewer):
    # given: a follow-up the admin planned through the API, and one of another member (the
    # rep whose customer it is)
    rep = await User.create(
        workspace_id=viewer.workspace_id,
        name="小张",
        email=f"zhang-{viewer.workspace_id}@example.com",
        password_hash="x",
        role=Role.REP,
    )
    a = await domain_customer(viewer, "A", owner_id=rep.id)
    planned = await log_activity(
        viewer,
        ActivityData(
            customer_id=a.id,
            kind=ActivityKind.CALL,
            content="先打个电话",
            occurred_at=utc(2026, 1, 1, 1),
            next_follow_up_at=utc(2026, 6, 1, 1),
        ),
    )
    rep_viewer = Viewer(workspace_id=viewer.workspace_id, role=Role.REP, user_id=rep.id)
    theirs = await log_activity(
        rep_viewer,
        ActivityData(
            customer_id=a.id,
            kind=ActivityKind.CALL,
            content="小张的跟进",
            occurred_at=utc(2026, 1, 2, 1),
            next_follow_up_at=utc(2026, 7, 1, 1),
        ),
    )

    # when: two follow-ups of the admin's in one chunk; a date alone is due at 09:00 there
    result = await apply(
        viewer,
        [
            {
                "customer.name": "A",
                "kind": "电话",
                "occurredAt": "2026-02-01 10:00",
                "content": "一",
                "nextFollowUpAt": "2026-02-10",
            },
            {
                "customer.name": "A",
                "kind": "电话",
                "occurredAt": "2026-02-02 10:00",
                "content": "二",
                "nextFollowUpAt": "2026-02-20 15:00",
            },
        ],
    )

    # then: the admin has one pending follow-up, the latest; the rep's stays
    assert (result.created, result.failures) == (2, [])
    reminders = await Reminder.filter(customer_id=a.id).order_by("id")
    assert [(r.activity_id, r.user_id, r.status, r.due_at) for r in reminders] == [
        (planned.id, viewer.user_id, ReminderStatus.CANCELLED, utc(2026, 6, 1, 1)),
        (theirs.id, rep.id, ReminderStatus.PENDING, utc(2026, 7, 1, 1)),
        (reminders[2].activity_id, viewer.user_id, ReminderStatus.CANCELLED, utc(2026, 2, 10, 1)),
        (reminders[3].activity_id, viewer.user_id, ReminderStatus.PENDING, utc(2026, 2, 20, 7)),
    ]
    assert reminders[3].note == "二"
    one, two = [x for x in await activities_of(a.id) if x.content in ("一", "二")]
    assert (reminders[2].activity_id, reminders[3].activity_id) == (one.id, two.id)
    stored = await Customer.get(id=a.id)
    # the soonest reminder anyone has pending; the latest activity
    assert stored.next_follow_up_at == utc(2026, 2, 20, 7)
    assert stored.last_activity_at == utc(2026, 2, 2, 2)


async def test_a_linked_deal_is_no_longer_idle(viewer: Viewer):
    # given
    a = await domain_customer(viewer, "A")
    deal = await create_opportunity(viewer, OpportunityData(customer_id=a.id, name="年度合同"))

    # when
    result = await apply(
        viewer,
        [
            {
                "customer.name": "A",
                "opportunity": "年度合同",
                "occurredAt": "2026-03-01 10:00",
                "content": "谈价格",
            },
            {
                "customer.name": "A",
                "opportunity": "别的商机",
                "occurredAt": "2026-03-02 10:00",
                "content": "?",
            },
        ],
    )

    # then
    assert failures(result) == {(2, "opportunity")}
    (logged,) = await activities_of(a.id)
    assert logged.opportunity_id == deal.id
    assert (await Opportunity.get(id=deal.id)).last_activity_at == utc(2026, 3, 1, 2)


async def test_the_same_file_again_logs_nothing_twice(viewer: Viewer):
    # given
    await domain_customer(viewer, "A", phone="13800000001")
    rows = [
        {
            "customer.phone": "13800000001",
            "kind": "电话",
            "occurredAt": "2026-03-05 14:30",
            "content": "约了演示",
            "nextFollowUpAt": "2026-03-09",
        },
        {
            "customer.phone": "13800000001",
            "kind": "拜访",
            "occurredAt": "2026-03-06 10:00",
            "content": "上门",
        },
        # the same activity twice in one file
        {
            "customer.phone": "13800000001",
            "kind": "拜访",
            "occurredAt": "2026-03-06 10:00",
            "content": "上门",
        },
    ]
    first = await apply(viewer, rows, mode=ImportMode.CREATE)

    # when
    again = await apply(viewer, rows, mode=ImportMode.CREATE)
    upsert = await apply(viewer, rows)
    changed = await apply(
        viewer,
        [rows[0] | {"nextFollowUpAt": "2026-03-12 10:00"}, rows[1] | {"content": "上门拜访"}],
        mode=ImportMode.UPDATE,
    )

    # then
    assert (first.created, first.skipped) == (2, 1)
    assert (again.created, again.skipped) == (0, 3)
    assert (upsert.created, upsert.updated) == (0, 3)
    assert (changed.created, changed.updated, changed.skipped) == (0, 1, 1)
    a = await Customer.get(workspace_id=viewer.workspace_id)
    stored = await activities_of(a.id)
    assert [(x.content, x.next_follow_up_at) for x in stored] == [
        ("约了演示", utc(2026, 3, 12, 2)),
        ("上门", None),
    ]
    reminders = await Reminder.filter(customer_id=a.id).order_by("id")
    assert [(r.status, r.due_at) for r in reminders] == [
        (ReminderStatus.CANCELLED, utc(2026, 3, 9, 1)),
        (ReminderStatus.PENDING, utc(2026, 3, 12, 2)),
    ]
    assert (await Customer.get(id=a.id)).next_follow_up_at == utc(2026, 3, 12, 2)


async def test_external_ids_identify_activities_and_stay_unique(viewer: Viewer):
    # given
    a = await domain_customer(viewer, "A")
    await apply(
        viewer,
        [
            {
                "customer.name": "A",
                "externalId": "CALL-1",
                "occurredAt": "2026-03-05 10:00",
                "content": "初次",
            }
        ],
    )

    # when: the call log sends the same id with its final text, and a clash
    result = await apply(
        viewer,
        [
            {"customer.name": "A", "externalId": "CALL-1", "kind": "电话", "content": "初次通话"},
            {
                "customer.name": "A",
                "externalId": "CALL-2",
                "occurredAt": "2026-03-06 10:00",
                "content": "二",
            },
            {
                "customer.name": "A",
                "externalId": "CALL-2",
                "occurredAt": "2026-03-07 10:00",
                "content": "三",
            },
        ],
        match_on=("externalId",),
    )

    # then: the third row is the second's activity again, which a row of the same file
    # gave another time and text: it fails rather than overwrite them
    assert (result.created, result.updated) == (1, 1)
    assert {(f.row, f.field, f.code) for f in result.failures} == {
        (3, "occurredAt", ErrorCode.CONFLICT),
        (3, "content", ErrorCode.CONFLICT),
    }
    stored = await activities_of(a.id)
    assert [(x.external_id, x.kind, x.content) for x in stored] == [
        ("CALL-1", ActivityKind.CALL, "初次通话"),
        ("CALL-2", ActivityKind.OTHER, "二"),
    ]

    # when: matching on content, a new activity may not take a used external id
    clash = await apply(
        viewer,
        [
            {
                "customer.name": "A",
                "externalId": "CALL-1",
                "occurredAt": "2026-03-09 10:00",
                "content": "新",
            }
        ],
        match_on=("content",),
    )

    # then
    assert [(f.row, f.field) for f in clash.failures] == [(1, "externalId")]


async def test_bad_rows_fail_with_their_fields_while_the_others_land(viewer: Viewer):
    # given: B has no owner, and the import runs with no user (the command line)
    await domain_customer(viewer, "A", contacts=[ContactData(name="王伟")])
    b = await domain_customer(viewer, "B")
    await Customer.filter(id=b.id).update(owner_id=None)
    keyless = Viewer(workspace_id=viewer.workspace_id, role=Role.ADMIN)

    def ok(text: str | None, **cells: str | None) -> dict[str, str | None]:
        return {"customer.name": "A", "occurredAt": "2026-03-05 10:00", "content": text} | cells

    # when
    result = await apply(
        keyless,
        [
            ok("好"),
            ok("传真", kind="传真"),
            ok("时间", occurredAt="下周二"),
            ok("没时间", occurredAt=None),
            ok(None),
            ok("先跟进", nextFollowUpAt="2026-03-01"),
            ok("联系人", contact="张三"),
            ok("作者", author="nobody@example.com"),
            {
                "customer.name": "B",
                "occurredAt": "2026-03-05 10:00",
                "content": "b",
                "nextFollowUpAt": "2026-04-01",
            },
            ok("长" * 20_001),
        ],
        mode=ImportMode.CREATE,
    )

    # then
    assert result.created == 1
    assert failures(result) == {
        (2, "kind"),
        (3, "occurredAt"),
        (4, "occurredAt"),
        (5, "content"),
        (6, "nextFollowUpAt"),
        (7, "contact"),
        (8, "author"),
        (9, "nextFollowUpAt"),
        (10, "content"),
    }
    assert await Activity.filter(workspace_id=viewer.workspace_id).count() == 1


async def test_a_link_never_reaches_another_workspaces_customer(viewer: Viewer, gql: GraphQL):
    # given
    other = await viewer_of(await gql.sign_up())
    theirs = await domain_customer(other, "同名", external_id="X-1", phone="13800000009")

    # when
    result = await apply(
        viewer,
        [
            {"customer.externalId": "X-1", "occurredAt": "2026-03-05", "content": "a"},
            {"customer.phone": "13800000009", "occurredAt": "2026-03-05", "content": "b"},
            {"customer.name": "同名", "occurredAt": "2026-03-05", "content": "c"},
        ],
    )

    # then
    assert failures(result) == {
        (1, "customer.externalId"),
        (2, "customer.phone"),
        (3, "customer.name"),
    }
    assert await Activity.filter(customer_id=theirs.id).count() == 0


def _rows(count: int, prefix: str) -> list[dict[str, str | None]]:
    return [
        {
            "customer.externalId": f"{prefix}-C{i % 7}",
            "kind": "电话",
            "occurredAt": f"2026-03-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}",
            "content": f"{prefix} 第 {i} 次通话",
            "nextFollowUpAt": "2026-05-01",
            "contact": "王伟",
            "opportunity": "年度合同",
            "author": "Ada 管理员",
            "externalId": f"{prefix}-A{i}",
        }
        for i in range(count)
    ]


async def test_a_chunk_costs_the_same_statements_whatever_its_size(viewer: Viewer):
    counts = []
    for size in (10, 200):
        # given: seven customers with a contact and a deal; half of the rows exist already
        prefix = f"s{size}"
        for i in range(7):
            c = await domain_customer(
                viewer,
                f"{prefix} {i}",
                external_id=f"{prefix}-C{i}",
                contacts=[ContactData(name="王伟")],
            )
            await create_opportunity(viewer, OpportunityData(customer_id=c.id, name="年度合同"))
        await apply(viewer, _rows(size, prefix)[: size // 2])
        changed = [row | {"nextFollowUpAt": "2026-05-02"} for row in _rows(size, prefix)]

        # when
        with count_queries() as statements:
            result = await apply(viewer, changed)

        # then
        assert result.failures == []
        assert (result.created, result.updated) == (size - size // 2, size // 2)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 15, counts
