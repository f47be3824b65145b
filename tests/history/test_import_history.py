"""An import writes history like the API does, named as its job (source IMPORT, the job's
id), set-based: one INSERT of history per chunk, whatever its size; a dry run leaves none."""

from typing import Any

import pytest

from domain.viewer import Viewer
from models import Contact, Customer, FieldChange, Opportunity
from models.enums import ChangedEntity, ChangeSource, ImportKind, ImportMode
from tests.factories import domain_customer, gid, import_rows, invite, pk, viewer_of
from tests.helpers import Account, GraphQL, count_queries

CUSTOMER_HISTORY = """
query($id: ID!) {
  customer(id: $id) {
    history(first: 20) { edges { node {
      field oldValue newValue source sourceId importJob { id kind } changedBy { id }
    } } }
  }
}
"""


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    return await viewer_of(workspace)


def fields(rows: list[FieldChange]) -> set[tuple[str, Any, Any]]:
    return {(row.field, row.old_value, row.new_value) for row in rows}


async def test_an_import_records_what_it_created_and_changed_as_its_job(
    gql: GraphQL, workspace: Account, viewer: Viewer
):
    # given: a stored customer the file updates, and a colleague it hands it to
    rep = await invite(gql, workspace, name="王销售")
    stored = await domain_customer(viewer, "云帆科技", external_id="C-1", industry="制造")

    # when
    rows = [
        {"externalId": "C-1", "industry": "物流", "owner": rep.email},
        {"externalId": "C-2", "name": "星河贸易", "contact.name": "李娜"},
    ]
    job, errors = await import_rows(viewer, ImportKind.CUSTOMERS, rows)
    assert errors == []

    # then: the update's changed fields only, from their old values
    changed = await FieldChange.filter(
        entity=ChangedEntity.CUSTOMER, entity_id=stored.id, source=ChangeSource.IMPORT
    )
    assert fields(changed) == {
        ("industry", "制造", "物流"),
        ("owner", viewer.user_id, pk(rep.user_id)),
    }
    # and the new customer's and its contact's fields, from nothing
    created = await Customer.get(external_id="C-2", workspace_id=viewer.workspace_id)
    contact = await Contact.get(customer_id=created.id)
    assert ("name", None, "星河贸易") in fields(
        await FieldChange.filter(entity=ChangedEntity.CUSTOMER, entity_id=created.id)
    )
    assert ("name", None, "李娜") in fields(
        await FieldChange.filter(entity=ChangedEntity.CONTACT, entity_id=contact.id)
    )
    every = await FieldChange.filter(customer_id__in=[stored.id, created.id])
    assert {(row.source, row.source_id, row.user_id) for row in every} >= {
        (ChangeSource.IMPORT, job.id, viewer.user_id)
    }
    assert all(row.source == ChangeSource.IMPORT for row in every if row.customer_id == created.id)

    # and the API shows the job behind the change
    result = await gql.execute(
        CUSTOMER_HISTORY, {"id": gid("Customer", stored.id)}, workspace.token
    )
    latest = result.ok()["customer"]["history"]["edges"][0]["node"]
    assert latest["source"] == "IMPORT"
    assert latest["sourceId"] == gid("ImportJob", job.id)
    assert latest["importJob"] == {"id": gid("ImportJob", job.id), "kind": "CUSTOMERS"}


async def test_a_contact_import_records_its_changes(viewer: Viewer):
    # given
    customer = await domain_customer(viewer, "云帆科技", external_id="C-1")
    rows = [{"customer.externalId": "C-1", "name": "王伟", "title": "经理"}]
    await import_rows(viewer, ImportKind.CONTACTS, rows)
    contact = await Contact.get(customer_id=customer.id)

    # when
    rows = [{"customer.externalId": "C-1", "name": "王伟", "title": "总经理"}]
    job, errors = await import_rows(viewer, ImportKind.CONTACTS, rows, match_on=["name"])
    assert errors == []

    # then
    changes = await FieldChange.filter(
        entity=ChangedEntity.CONTACT, entity_id=contact.id, source_id=job.id
    )
    assert fields(changes) == {("title", "经理", "总经理")}


async def test_a_deal_import_records_stage_moves(viewer: Viewer):
    # given
    await domain_customer(viewer, "云帆科技", external_id="C-1")
    row = {"customer.externalId": "C-1", "name": "年度订阅", "externalId": "D-1"}
    await import_rows(viewer, ImportKind.OPPORTUNITIES, [row])
    deal = await Opportunity.get(external_id="D-1", workspace_id=viewer.workspace_id)

    # when: the deal is lost (a LOST move is never held up by a checklist)
    job, errors = await import_rows(
        viewer, ImportKind.OPPORTUNITIES, [{**row, "stage": "Lost"}], match_on=["externalId"]
    )
    assert errors == []

    # then
    moved = await FieldChange.filter(
        entity=ChangedEntity.OPPORTUNITY, entity_id=deal.id, source_id=job.id
    )
    assert {(r.field, r.new_value) for r in moved} >= {("status", "LOST")}
    assert "stage" in {r.field for r in moved}


async def test_a_dry_run_leaves_no_history(viewer: Viewer):
    # when
    rows = [{"externalId": "C-9", "name": "星河贸易"}]
    job, _ = await import_rows(viewer, ImportKind.CUSTOMERS, rows, dry_run=True)

    # then
    assert not await FieldChange.filter(source_id=job.id).exists()


def _customer_rows(prefix: str, size: int) -> list[dict[str, str]]:
    return [
        {"externalId": f"{prefix}-{i}", "name": f"客户 {i}", "contact.name": f"联系人 {i}"}
        for i in range(size)
    ]


async def test_a_chunk_writes_its_history_in_one_insert_whatever_its_size(
    gql: GraphQL, workspace: Account
):
    # given: two workspaces, a chunk of 10 and one of 60 rows, half of each updating
    counts = []
    for size in (10, 60):
        viewer = await viewer_of(await gql.sign_up())
        await import_rows(viewer, ImportKind.CUSTOMERS, _customer_rows("C", size // 2))
        rows = [{**row, "industry": "物流"} for row in _customer_rows("C", size)]

        # when
        with count_queries() as statements:
            job, errors = await import_rows(
                viewer, ImportKind.CUSTOMERS, rows, mode=ImportMode.UPSERT
            )
        assert errors == []

        # then
        history = [s for s in statements if "field_change" in s.lower()]
        assert len(history) == 1, history
        written = await FieldChange.filter(source_id=job.id).count()
        # the updated half: industry, and a contact added (a customer import matches
        # contacts by phone or e-mail); the new half: name, kind, external id, industry,
        # owner, and their contacts' name and primary flag
        assert written == size // 2 * 2 + (size - size // 2) * 7
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
