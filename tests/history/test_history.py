"""Every change to a customer, contact or deal leaves a history row: field, old and new
value, who, when, through what; `history` on Customer and Opportunity reads them."""

from typing import Any

from domain.customers import update_customer
from domain.history import Through
from models import FieldChange
from models.enums import ChangedEntity, ChangeSource
from tests.factories import (
    create_api_key,
    create_contact,
    create_customer,
    create_opportunity,
    create_pipeline,
    default_pipeline,
    define_custom_field,
    domain_customer,
    invite,
    move_ok,
    mutate_ok,
    pk,
    viewer_of,
)
from tests.helpers import Account, GraphQL

CUSTOMER_HISTORY = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    history(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        entity recordId field oldValue newValue source sourceId importJob { id }
        changedBy { id } apiKeyName changedAt
      } }
    }
  }
}
"""
DEAL_HISTORY = """
query($id: ID!) {
  node(id: $id) { ... on Opportunity {
    history(first: 50) { edges { node { field oldValue newValue source changedBy { id } } } }
  } }
}
"""


async def customer_history(
    gql: GraphQL, account: Account | str, customer_id: str, **page: Any
) -> dict[str, Any]:
    token = account.token if isinstance(account, Account) else account
    result = await gql.execute(CUSTOMER_HISTORY, {"id": customer_id, **page}, token)
    return result.ok()["customer"]["history"]


def entries(history: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [
        (e["node"]["field"], e["node"]["oldValue"], e["node"]["newValue"]) for e in history["edges"]
    ]


async def test_creation_records_the_initial_non_empty_fields(gql: GraphQL, workspace):
    # when
    customer = await create_customer(
        gql, workspace, name="云帆科技", phone="+86 10 6552 9988", tags=["VIP"]
    )

    # then: one entry per field given a value, from nothing, by the admin through the API
    history = await customer_history(gql, workspace, customer["id"])
    assert sorted(entries(history)) == [
        ("kind", None, "COMPANY"),
        ("name", None, "云帆科技"),
        ("owner", None, workspace.user_id),  # as a global id, like every id read
        ("phone", None, "+86 10 6552 9988"),
        ("tags", None, ["VIP"]),
    ]
    for edge in history["edges"]:
        node = edge["node"]
        assert node["source"] == "API"
        assert node["sourceId"] is None and node["importJob"] is None
        assert node["changedBy"] == {"id": workspace.user_id}
        assert node["entity"] == "CUSTOMER" and node["recordId"] == customer["id"]


async def test_an_update_records_each_changed_field_newest_first(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace)
    customer = await create_customer(gql, workspace, name="云帆科技", industry="制造")
    before = (await customer_history(gql, workspace, customer["id"]))["totalCount"]

    # when: a rename (the industry given again unchanged), then a new owner
    await mutate_ok(
        gql,
        workspace,
        "updateCustomer",
        id=customer["id"],
        input={"name": "云帆", "industry": "制造"},
    )
    await mutate_ok(
        gql, workspace, "updateCustomer", id=customer["id"], input={"ownerId": rep.user_id}
    )

    # then: two entries more, the owner change first; nothing for the unchanged industry
    history = await customer_history(gql, workspace, customer["id"], first=2)
    assert history["totalCount"] == before + 2
    assert entries(history) == [
        ("owner", workspace.user_id, rep.user_id),
        ("name", "云帆科技", "云帆"),
    ]
    assert history["pageInfo"]["hasNextPage"] is True
    # and the next page goes on where this one ended
    rest = await customer_history(
        gql, workspace, customer["id"], first=50, after=history["pageInfo"]["endCursor"]
    )
    assert len(rest["edges"]) == before


async def test_custom_fields_are_one_entry_per_key(gql: GraphQL, workspace):
    # given
    await define_custom_field(gql, workspace, "CUSTOMER", "level")
    await define_custom_field(gql, workspace, "CUSTOMER", "region")
    customer = await create_customer(gql, workspace, customFields={"level": "A", "region": "华北"})

    # when: one key changes, the other is cleared
    await mutate_ok(
        gql,
        workspace,
        "updateCustomer",
        id=customer["id"],
        input={"customFields": {"level": "B", "region": None}},
    )

    # then
    history = await customer_history(gql, workspace, customer["id"], first=2)
    assert sorted(entries(history)) == [
        ("customFields.level", "A", "B"),
        ("customFields.region", "华北", None),
    ]


async def test_a_change_through_an_api_key_names_the_key(gql: GraphQL, workspace):
    # given
    secret = await create_api_key(gql, workspace, name="ERP 同步")
    customer = await create_customer(gql, workspace)

    # when
    await mutate_ok(gql, secret, "updateCustomer", id=customer["id"], input={"website": "a.cn"})

    # then
    latest = (await customer_history(gql, workspace, customer["id"], first=1))["edges"][0]["node"]
    assert (latest["field"], latest["newValue"], latest["apiKeyName"]) == (
        "website",
        "a.cn",
        "ERP 同步",
    )


async def test_contact_changes_are_recorded_against_their_customer(gql: GraphQL, workspace):
    # given: a customer with a primary contact
    customer = await create_customer(gql, workspace, contacts=[{"name": "王伟"}])
    first = await FieldChange.filter(entity=ChangedEntity.CONTACT, customer_id=pk(customer["id"]))
    assert {(c.field, c.new_value) for c in first} == {("name", "王伟"), ("isPrimary", True)}

    # when: a second contact takes over as primary, and is renamed
    contact = await create_contact(gql, workspace, customer["id"], name="李娜", isPrimary=True)
    await mutate_ok(gql, workspace, "updateContact", id=contact["id"], input={"title": "采购经理"})

    # then: the first contact's demotion is history too
    rows = await FieldChange.filter(
        entity=ChangedEntity.CONTACT, customer_id=pk(customer["id"])
    ).order_by("id")
    assert [(r.entity_id, r.field, r.old_value, r.new_value) for r in rows[2:]] == [
        (pk(contact["id"]), "name", None, "李娜"),
        (pk(contact["id"]), "isPrimary", None, True),
        (first[0].entity_id, "isPrimary", True, False),
        (pk(contact["id"]), "title", None, "采购经理"),
    ]
    assert {r.source for r in rows} == {ChangeSource.API}


async def test_deal_history_shows_owner_changes_and_stage_moves(gql: GraphQL, workspace):
    # given
    rep = await invite(gql, workspace)
    pipeline = await default_pipeline(gql, workspace)
    lost = next(s for s in pipeline["stages"] if s["kind"] == "LOST")
    customer = await create_customer(gql, workspace)
    deal = await create_opportunity(gql, workspace, customer["id"], amount="1000")
    opened = deal["stage"]["id"]

    # when
    await mutate_ok(
        gql,
        workspace,
        "updateOpportunity",
        id=deal["id"],
        input={"ownerId": rep.user_id, "amount": "1000.00", "probability": 40},
    )
    await move_ok(gql, workspace, deal["id"], lost["id"], lost_reason="预算取消")

    # then: newest first; the amount given again equal is no change
    result = await gql.execute(DEAL_HISTORY, {"id": deal["id"]}, workspace.token)
    history = result.ok()["node"]["history"]
    changed = [
        (e["node"]["field"], e["node"]["oldValue"], e["node"]["newValue"]) for e in history["edges"]
    ]
    assert sorted(changed[:3]) == [
        ("lostReason", None, "预算取消"),
        ("stage", opened, lost["id"]),
        ("status", "OPEN", "LOST"),
    ]
    assert sorted(changed[3:5]) == [
        ("owner", workspace.user_id, rep.user_id),
        ("probability", None, 40),
    ]
    assert ("amount", None, "1000.00") in changed[5:]
    assert ("stage", None, opened) in changed[5:]


async def test_removing_a_stage_records_each_moved_deal(gql: GraphQL, workspace):
    # given: two deals in a stage that is then removed, its deals moved to LOST
    pipeline = await create_pipeline(gql, workspace)
    start, lost = pipeline["by_name"]["初步接触"], pipeline["by_name"]["输单"]
    customer = await create_customer(gql, workspace)
    deals = [
        await create_opportunity(
            gql, workspace, customer["id"], pipelineId=pipeline["id"], stageId=start["id"]
        )
        for _ in range(2)
    ]

    # when
    await mutate_ok(gql, workspace, "removeStage", id=start["id"], moveOpportunitiesTo=lost["id"])

    # then
    for deal in deals:
        rows = await FieldChange.filter(
            entity=ChangedEntity.OPPORTUNITY, entity_id=pk(deal["id"])
        ).order_by("-id")
        assert {(r.field, r.old_value, r.new_value) for r in rows[:2]} == {
            ("stage", pk(start["id"]), pk(lost["id"])),
            ("status", "OPEN", "LOST"),
        }
        assert rows[0].user_id == pk(workspace.user_id)


async def test_a_write_through_another_door_says_so(gql: GraphQL, workspace):
    # given: the pool and transfer code call the same write functions with their door
    viewer = await viewer_of(workspace)
    customer = await domain_customer(viewer, "云帆科技")

    # when
    transfer = Through(ChangeSource.TRANSFER, 42)
    await update_customer(viewer, customer.id, {"owner_id": None}, through=transfer)

    # then
    latest = await FieldChange.filter(entity_id=customer.id).order_by("-id").first()
    assert latest is not None
    assert (latest.field, latest.old_value, latest.new_value) == ("owner", viewer.user_id, None)
    assert (latest.source, latest.source_id) == (ChangeSource.TRANSFER, 42)
