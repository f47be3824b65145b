"""One rule, two doors: the same scenario through a mutation (over GraphQL) and through an
import chunk leaves the same records."""

from __future__ import annotations

from datetime import UTC, datetime

from api.core.ids import to_global_id
from domain.imports.activity_rows import apply_activity_rows
from domain.imports.contact_rows import apply_contact_rows
from domain.imports.opportunity_rows import apply_opportunity_rows
from domain.opportunities import OpportunityData, create_opportunity
from domain.pipelines import ChecklistItemData, add_checklist_item
from domain.viewer import Viewer
from models import Contact, Customer, Opportunity, Reminder, Stage
from models.enums import ReminderStatus
from tests.documents import document
from tests.factories import create_customer, invite, log_activity, pk, viewer_of
from tests.factories import create_opportunity as create_api_opportunity
from tests.helpers import Account, GraphQL
from tests.imports.kinds import apply_rows


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


async def _import_activities(viewer: Viewer, rows: list[dict[str, str | None]]) -> None:
    result = await apply_rows(apply_activity_rows, viewer, rows, match_on=("externalId", "content"))
    assert result.failures == []


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
            gql,
            workspace,
            api_gid,
            occurredAt=occurred,
            content=content,
            nextFollowUpAt=due,
        )
    for occurred, content, due in steps:
        await _import_activities(
            viewer,
            [
                {
                    "customer.name": "经导入",
                    "kind": "电话",
                    "occurredAt": occurred,
                    "content": content,
                    "nextFollowUpAt": due,
                }
            ],
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
    await log_activity(
        gql,
        workspace,
        gids[0],
        occurredAt="2026-02-01T10:00:00Z",
        content="回访",
    )
    await _import_activities(
        viewer,
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
    qualification = await Stage.get(
        workspace_id=viewer.workspace_id, name="Qualification", archived_at=None
    )
    quote = await Stage.get(workspace_id=viewer.workspace_id, name="Quote", archived_at=None)
    for title in ("确认预算", "确认决策人"):
        await add_checklist_item(viewer, qualification.id, ChecklistItemData(title, required=True))

    # when: each is moved forward to Quote, one through each door
    moved = await gql.execute(
        document("moveOpportunity"),
        {
            "id": to_global_id("Opportunity", api_deal.id),
            "stageId": to_global_id("Stage", quote.id),
        },
        workspace.token,
    )
    imported = await apply_rows(
        apply_opportunity_rows,
        viewer,
        [{"customer.name": "云帆", "name": "经导入", "stage": "Quote"}],
        match_on=("externalId", "name"),
    )

    # then: both are refused with the same message and code, and stay where they were
    message = "Finish the checklist of “Qualification” first: 确认预算; 确认决策人."
    assert moved.ok()["moveOpportunity"]["errors"] == [
        {"field": "stageId", "message": message, "code": "CONFLICT"}
    ]
    assert [(f.field, f.message, f.code) for f in imported.failures] == [
        ("stage", message, "CONFLICT")
    ]
    for deal in (api_deal, file_deal):
        assert (await Opportunity.get(id=deal.id)).stage_id == qualification.id


CREATE_CONTACT = """
mutation($input: ContactInput!) {
  createContact(input: $input) { contact { id } errors { field message code } }
}
"""


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
        created = await gql.execute(
            CREATE_CONTACT, {"input": {"customerId": api_gid, "name": name}}, workspace.token
        )
        assert created.ok()["createContact"]["errors"] == []
    result = await apply_rows(
        apply_contact_rows,
        viewer,
        [{"customer.name": "经导入", "name": "王伟"}, {"customer.name": "经导入", "name": "李娜"}],
        match_on=("email", "phone"),
    )

    # then: the first is primary, the second not, alike
    assert result.failures == []
    expected = [("王伟", True), ("李娜", False)]
    assert await _primaries(pk(api_gid)) == expected
    assert await _primaries(file_customer) == expected


async def test_a_new_deal_is_looked_after_by_whoever_enters_it_through_both_doors(
    gql: GraphQL, workspace: Account
):
    # given: a customer another member looks after
    viewer = await viewer_of(workspace)
    rep = pk((await invite(gql, workspace)).user_id)
    customer_gid = (await create_customer(gql, workspace, name="云帆", ownerId=None))["id"]
    await Customer.filter(id=pk(customer_gid)).update(owner_id=rep)

    # when: a deal without an owner through each door
    created = await create_api_opportunity(gql, workspace, customer_gid, name="经 API")
    result = await apply_rows(
        apply_opportunity_rows,
        viewer,
        [{"customer.name": "云帆", "name": "经导入"}],
        match_on=("externalId", "name"),
    )

    # then: both are the admin's, who entered them
    assert result.failures == []
    owners = {
        d.name: d.owner_id
        for d in await Opportunity.filter(customer_id=pk(customer_gid)).order_by("id")
    }
    assert owners == {"经 API": viewer.user_id, "经导入": viewer.user_id}
    assert pk(created["id"]) in {d.id for d in await Opportunity.filter(name="经 API")}
