"""One rule, two doors: the same scenario through a mutation (over GraphQL) and through an
import leaves the same records, and refuses with the same message and code.

The import door is a whole job (`start_import`, then `run_import` as the worker runs it)
fed the rows a client sends, so these tests hold whatever shape the import engine takes.
Each scenario is one the doors could get wrong apart: a parity test must be able to fail.
Rules (issue 11): schedule_follow_ups, refresh_customer_activity, stage_move_problems,
settle_primary / primary_by_default, default_owner, and messages and codes written once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.opportunities import OpportunityData, create_opportunity
from domain.pipelines import ChecklistItemData, add_checklist_item
from domain.viewer import Viewer
from models import ApiKey, Contact, Customer, Opportunity, Reminder, Stage
from models.enums import ImportKind, OpportunityStatus, ReminderStatus
from tests.factories import (
    create_api_key,
    create_contact,
    create_customer,
    define_custom_field,
    gid,
    import_rows,
    invite,
    log_activity,
    move,
    mutate,
    mutate_ok,
    pk,
    viewer_of,
)
from tests.factories import create_opportunity as create_api_opportunity
from tests.helpers import Account, GraphQL


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def _reminders(customer_id: int) -> list[tuple[int | None, ReminderStatus, datetime, str]]:
    return [
        (r.user_id, r.status, r.due_at, r.note)
        for r in await Reminder.filter(customer_id=customer_id).order_by("id")
    ]


async def _follow_up_state(customer_id: int) -> tuple[datetime | None, datetime | None]:
    stored = await Customer.get(id=customer_id)
    return stored.last_activity_at, stored.next_follow_up_at


async def _import_ok(viewer: Viewer, kind: ImportKind, rows: list[dict[str, Any]], **kw) -> None:
    _, errors = await import_rows(viewer, kind, rows, **kw)
    assert errors == []


async def _stage(viewer: Viewer, name: str) -> Stage:
    return await Stage.get(workspace_id=viewer.workspace_id, name=name, archived_at=None)


def _api_problems(payload: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    """A payload's errors as an import reports them: the field without the `input.` root."""
    return [
        (e["field"] and e["field"].removeprefix("input."), e["message"], e["code"])
        for e in payload["errors"]
    ]


async def _import_problems(
    viewer: Viewer, kind: ImportKind, rows: list[dict[str, Any]]
) -> list[tuple[str | None, str, str | None]]:
    _, errors = await import_rows(viewer, kind, rows)
    return [(e.field, e.message, e.code) for e in errors]


# ---------------------------------------------------------------- follow-ups


async def test_a_later_follow_up_cancels_the_earlier_one_through_both_doors(
    gql: GraphQL, workspace: Account
):
    # given: one customer for each door
    viewer = await viewer_of(workspace)
    api_gid = (await create_customer(gql, workspace, name="经 API"))["id"]
    api_customer = pk(api_gid)
    file_customer = pk((await create_customer(gql, workspace, name="经导入"))["id"])
    steps = [
        ("2026-02-01T10:00:00Z", "一", "2026-02-10T01:00:00Z"),
        ("2026-02-02T10:00:00Z", "二", "2026-02-20T07:00:00Z"),
    ]

    # when: a follow-up, then another, by the same person, through each door
    for occurred, content, due in steps:
        await log_activity(
            gql, workspace, api_gid, occurredAt=occurred, content=content, nextFollowUpAt=due
        )
    for occurred, content, due in steps:
        row = {"customer.name": "经导入", "kind": "电话", "occurredAt": occurred}
        await _import_ok(
            viewer, ImportKind.ACTIVITIES, [row | {"content": content, "nextFollowUpAt": due}]
        )

    # then: the earlier reminder is cancelled and the customer shows the later one, alike
    expected = [
        (viewer.user_id, ReminderStatus.CANCELLED, utc(2026, 2, 10, 1), "一"),
        (viewer.user_id, ReminderStatus.PENDING, utc(2026, 2, 20, 7), "二"),
    ]
    assert await _reminders(api_customer) == expected
    assert await _reminders(file_customer) == expected
    state = (utc(2026, 2, 2, 10), utc(2026, 2, 20, 7))
    assert await _follow_up_state(api_customer) == state
    assert await _follow_up_state(file_customer) == state


async def test_an_activity_clears_a_next_follow_up_nobody_has_pending_through_both_doors(
    gql: GraphQL, workspace: Account
):
    # given: customers whose only reminder was sent, their next follow-up still showing it
    # (a sent reminder and the stale date are written straight: no door leaves them so)
    viewer = await viewer_of(workspace)
    ids, gids = [], []
    for name in ("经 API", "经导入"):
        gids.append((await create_customer(gql, workspace, name=name))["id"])
        customer_id = pk(gids[-1])
        await Reminder.create(
            workspace_id=viewer.workspace_id,
            user_id=viewer.user_id,
            customer_id=customer_id,
            due_at=utc(2026, 1, 5),
            status=ReminderStatus.SENT,
        )
        await Customer.filter(id=customer_id).update(next_follow_up_at=utc(2026, 1, 5))
        ids.append(customer_id)
    api_customer, file_customer = ids

    # when: an activity without a follow-up, through each door
    await log_activity(gql, workspace, gids[0], occurredAt="2026-02-01T10:00:00Z", content="回访")
    await _import_ok(
        viewer,
        ImportKind.ACTIVITIES,
        [
            {
                "customer.name": "经导入",
                "kind": "电话",
                "occurredAt": "2026-02-01T10:00:00Z",
                "content": "回访",
            }
        ],
    )

    # then: nobody has a follow-up pending: both customers show none
    assert await _follow_up_state(api_customer) == (utc(2026, 2, 1, 10), None)
    assert await _follow_up_state(file_customer) == (utc(2026, 2, 1, 10), None)


async def test_an_older_activity_keeps_the_last_activity_and_the_soonest_follow_up_of_anyone(
    gql: GraphQL, workspace: Account
):
    # given: a colleague's activity of 10 February on each customer (theirs), their
    # follow-up due 1 March
    viewer = await viewer_of(workspace)
    rep = await invite(gql, workspace)
    # (the rep's customers: they see them)
    gids = [
        (await create_customer(gql, workspace, name=n, ownerId=rep.user_id))["id"]
        for n in ("经 API", "经导入")
    ]
    for customer_gid in gids:
        await log_activity(
            gql,
            rep,
            customer_gid,
            occurredAt="2026-02-10T10:00:00Z",
            content="同事跟进",
            nextFollowUpAt="2026-03-01T01:00:00Z",
        )

    # when: the admin enters an older activity (5 February) with a later follow-up
    # (10 March), through each door
    await log_activity(
        gql,
        workspace,
        gids[0],
        occurredAt="2026-02-05T10:00:00Z",
        content="补录",
        nextFollowUpAt="2026-03-10T01:00:00Z",
    )
    await _import_ok(
        viewer,
        ImportKind.ACTIVITIES,
        [
            {
                "customer.name": "经导入",
                "kind": "电话",
                "occurredAt": "2026-02-05T10:00:00Z",
                "content": "补录",
                "nextFollowUpAt": "2026-03-10T01:00:00Z",
            }
        ],
    )

    # then: the last activity stays the newest, the next follow-up the soonest anyone has,
    # and the colleague's reminder is not the admin's to cancel: alike
    rep_pk = pk(rep.user_id)
    expected = [
        (rep_pk, ReminderStatus.PENDING, utc(2026, 3, 1, 1), "同事跟进"),
        (viewer.user_id, ReminderStatus.PENDING, utc(2026, 3, 10, 1), "补录"),
    ]
    for customer_gid in gids:
        assert await _reminders(pk(customer_gid)) == expected
        assert await _follow_up_state(pk(customer_gid)) == (
            utc(2026, 2, 10, 10),
            utc(2026, 3, 1, 1),
        )


async def test_a_follow_up_before_its_activity_is_refused_alike_through_both_doors(
    gql: GraphQL, workspace: Account
):
    # given
    viewer = await viewer_of(workspace)
    api_gid = (await create_customer(gql, workspace, name="经 API"))["id"]
    file_customer = pk((await create_customer(gql, workspace, name="经导入"))["id"])
    occurred, due = "2026-02-05T10:00:00Z", "2026-02-01T10:00:00Z"

    # when
    logged = await mutate(
        gql,
        workspace,
        "logActivity",
        input={
            "customerId": api_gid,
            "kind": "CALL",
            "content": "回访",
            "occurredAt": occurred,
            "nextFollowUpAt": due,
        },
    )
    imported = await _import_problems(
        viewer,
        ImportKind.ACTIVITIES,
        [
            {
                "customer.name": "经导入",
                "kind": "电话",
                "occurredAt": occurred,
                "content": "回访",
                "nextFollowUpAt": due,
            }
        ],
    )

    # then: the same field, message and code; nothing written either way
    assert _api_problems(logged) == imported
    assert [field for field, _, _ in imported] == ["nextFollowUpAt"]
    assert await Reminder.filter(customer_id__in=[pk(api_gid), file_customer]).count() == 0
    assert await _follow_up_state(pk(api_gid)) == (None, None)
    assert await _follow_up_state(file_customer) == (None, None)


# ---------------------------------------------------------------- stage moves


async def test_a_forward_move_waits_for_the_checklist_through_both_doors(
    gql: GraphQL, workspace: Account
):
    # given: two deals in Qualification, whose checklist requires two items, one of them done
    viewer = await viewer_of(workspace)
    customer_id = pk((await create_customer(gql, workspace, name="云帆"))["id"])
    api_deal, file_deal = [
        await create_opportunity(viewer, OpportunityData(customer_id=customer_id, name=name))
        for name in ("经 API", "经导入")
    ]
    qualification = await _stage(viewer, "Qualification")
    quote = await _stage(viewer, "Quote")
    for title in ("确认预算", "确认决策人"):
        await add_checklist_item(viewer, qualification.id, ChecklistItemData(title, required=True))

    # when: each is moved forward to Quote, one through each door
    moved = await move(gql, workspace, gid("Opportunity", api_deal.id), gid("Stage", quote.id))
    imported = await _import_problems(
        viewer,
        ImportKind.OPPORTUNITIES,
        [{"customer.name": "云帆", "name": "经导入", "stage": "Quote"}],
    )

    # then: both are refused with the same message and code, and stay where they were
    message = "Finish the checklist of “Qualification” first: 确认预算; 确认决策人."
    assert moved["errors"] == [{"field": "stageId", "message": message, "code": "CONFLICT"}]
    assert imported == [("stage", message, "CONFLICT")]
    for deal in (api_deal, file_deal):
        assert (await Opportunity.get(id=deal.id)).stage_id == qualification.id


@pytest.mark.parametrize(
    ("target", "status"),
    [("Needs analysis", OpportunityStatus.OPEN), ("Lost", OpportunityStatus.LOST)],
    ids=["backward", "lost"],
)
async def test_a_move_that_is_not_forward_needs_no_checklist_through_both_doors(
    gql: GraphQL, workspace: Account, target: str, status: OpportunityStatus
):
    # given: two deals at Quote, whose required checklist item nobody ticked
    viewer = await viewer_of(workspace)
    quote = await _stage(viewer, "Quote")
    await add_checklist_item(viewer, quote.id, ChecklistItemData("发送报价单", required=True))
    customer_gid = (await create_customer(gql, workspace, name="云帆"))["id"]
    api_deal, file_deal = [
        await create_api_opportunity(
            gql, workspace, customer_gid, name=name, stageId=gid("Stage", quote.id)
        )
        for name in ("经 API", "经导入")
    ]

    # when: each moves back (or is lost), one through each door
    moved = await move(
        gql, workspace, api_deal["id"], gid("Stage", (await _stage(viewer, target)).id)
    )
    imported = await _import_problems(
        viewer,
        ImportKind.OPPORTUNITIES,
        [{"customer.name": "云帆", "name": "经导入", "stage": target}],
    )

    # then: neither waits for the checklist; both land in the stage with the same status
    assert moved["errors"] == []
    assert imported == []
    for deal in (api_deal, file_deal):
        stored = await Opportunity.get(id=pk(deal["id"])).prefetch_related("stage")
        assert (stored.stage.name, stored.status) == (target, status)
        assert (stored.closed_at is not None) == (status != OpportunityStatus.OPEN)


# ---------------------------------------------------------------- primary contacts


async def _primaries(customer_id: int) -> list[tuple[str, bool]]:
    return [
        (c.name, c.is_primary) for c in await Contact.filter(customer_id=customer_id).order_by("id")
    ]


async def test_a_customers_first_contact_is_its_primary_one_through_both_doors(
    gql: GraphQL, workspace: Account
):
    # given: two customers without contacts
    viewer = await viewer_of(workspace)
    api_gid = (await create_customer(gql, workspace, name="经 API"))["id"]
    file_customer = pk((await create_customer(gql, workspace, name="经导入"))["id"])

    # when: two contacts each, the second not saying whether it is primary
    for name in ("王伟", "李娜"):
        await create_contact(gql, workspace, api_gid, name=name)
    await _import_ok(
        viewer,
        ImportKind.CONTACTS,
        [{"customer.name": "经导入", "name": "王伟"}, {"customer.name": "经导入", "name": "李娜"}],
    )

    # then: the first is primary, the second not, alike
    expected = [("王伟", True), ("李娜", False)]
    assert await _primaries(pk(api_gid)) == expected
    assert await _primaries(file_customer) == expected


async def test_the_last_contact_made_primary_is_the_only_primary_through_both_doors(
    gql: GraphQL, workspace: Account
):
    # given: two customers without contacts
    viewer = await viewer_of(workspace)
    api_gid = (await create_customer(gql, workspace, name="经 API"))["id"]
    file_customer = pk((await create_customer(gql, workspace, name="经导入"))["id"])
    contacts = [("王伟", None), ("李娜", True), ("张强", True)]

    # when: three contacts each, the second and the third each said to be primary
    for name, primary in contacts:
        await create_contact(
            gql,
            workspace,
            api_gid,
            name=name,
            **({} if primary is None else {"isPrimary": primary}),
        )
    await _import_ok(
        viewer,
        ImportKind.CONTACTS,
        [
            {"customer.name": "经导入", "name": name}
            | ({} if primary is None else {"isPrimary": "是"})
            for name, primary in contacts
        ],
    )

    # then: exactly one primary, the last one made so, alike
    expected = [("王伟", False), ("李娜", False), ("张强", True)]
    assert await _primaries(pk(api_gid)) == expected
    assert await _primaries(file_customer) == expected


async def test_a_customer_created_with_several_contacts_has_one_primary_through_both_doors(
    gql: GraphQL, workspace: Account
):
    # given
    viewer = await viewer_of(workspace)

    # when: a new customer with two contacts: in one createCustomer, and in two rows of a
    # customer file (the second row matches the customer the first one creates)
    created = await create_customer(
        gql, workspace, name="经 API", contacts=[{"name": "王伟"}, {"name": "李娜"}]
    )
    await _import_ok(
        viewer,
        ImportKind.CUSTOMERS,
        [{"name": "经导入", "contact.name": "王伟"}, {"name": "经导入", "contact.name": "李娜"}],
        match_on=["name"],
    )

    # then: one customer each, its first contact the only primary one
    [file_customer] = await Customer.filter(workspace_id=viewer.workspace_id, name="经导入")
    expected = [("王伟", True), ("李娜", False)]
    assert await _primaries(pk(created["id"])) == expected
    assert await _primaries(file_customer.id) == expected


# ---------------------------------------------------------------- deal owners


async def test_a_new_deal_is_looked_after_by_whoever_enters_it_through_both_doors(
    gql: GraphQL, workspace: Account
):
    # given: a customer another member looks after
    viewer = await viewer_of(workspace)
    rep = await invite(gql, workspace)
    customer_gid = (await create_customer(gql, workspace, name="云帆", ownerId=rep.user_id))["id"]

    # when: a deal without an owner through each door
    created = await create_api_opportunity(gql, workspace, customer_gid, name="经 API")
    await _import_ok(
        viewer, ImportKind.OPPORTUNITIES, [{"customer.name": "云帆", "name": "经导入"}]
    )

    # then: both are the admin's, who entered them
    owners = {d.name: d.owner_id for d in await Opportunity.filter(customer_id=pk(customer_gid))}
    assert owners == {"经 API": viewer.user_id, "经导入": viewer.user_id}
    assert pk(created["id"]) in {d.id for d in await Opportunity.filter(name="经 API")}


async def test_an_api_keys_new_deal_is_looked_after_by_the_customers_owner_through_both_doors(
    gql: GraphQL, workspace: Account
):
    # given: an integrator's key acting as the workspace (as nobody), and a customer a rep
    # looks after
    viewer = await viewer_of(workspace)
    secret = await create_api_key(
        gql, workspace, name="ERP 同步", role="ADMIN", actsAsWorkspace=True
    )
    key = await ApiKey.get(workspace_id=viewer.workspace_id)
    as_key = Viewer(workspace_id=viewer.workspace_id, role=key.role, api_key_id=key.id)
    rep = await invite(gql, workspace)
    customer_gid = (await create_customer(gql, workspace, name="云帆", ownerId=rep.user_id))["id"]

    # when: the key enters a deal without an owner through each door
    await mutate_ok(
        gql, secret, "createOpportunity", input={"customerId": customer_gid, "name": "经 API"}
    )
    await _import_ok(
        as_key, ImportKind.OPPORTUNITIES, [{"customer.name": "云帆", "name": "经导入"}]
    )

    # then: a key is nobody: both deals are the customer's owner's
    owners = {d.name: d.owner_id for d in await Opportunity.filter(customer_id=pk(customer_gid))}
    assert owners == {"经 API": pk(rep.user_id), "经导入": pk(rep.user_id)}


# ---------------------------------------------------------------- custom fields

CUSTOM_FIELD_CASES = {
    # definition (type, extra fields), the API's value, the file's cell (None: left out)
    "not-an-option": (("SELECT", {}), "D", "D"),
    "too-large": (("NUMBER", {}), 10**15, "1000000000000000"),
    "required-missing": (("TEXT", {"required": True}), None, None),
}


@pytest.mark.parametrize("case", list(CUSTOM_FIELD_CASES))
async def test_a_custom_field_value_is_refused_alike_through_both_doors(
    gql: GraphQL, workspace: Account, case: str
):
    # given: a customer custom field "level"
    viewer = await viewer_of(workspace)
    (type, extra), api_value, cell = CUSTOM_FIELD_CASES[case]
    await define_custom_field(gql, workspace, "CUSTOMER", "level", type, **extra)

    # when: a customer with the value, through each door
    api_input: dict[str, Any] = {"name": "经 API"}
    if api_value is not None:
        api_input["customFields"] = {"level": api_value}
    created = await mutate(gql, workspace, "createCustomer", input=api_input)
    row = {"name": "经导入"} | ({} if cell is None else {"customFields.level": cell})
    imported = await _import_problems(viewer, ImportKind.CUSTOMERS, [row])

    # then: the same field, message and code, and no customer either way
    assert [field for field, _, _ in imported] == ["customFields.level"]
    assert _api_problems(created) == imported
    assert created["customer"] is None
    assert not await Customer.filter(workspace_id=viewer.workspace_id).exists()
