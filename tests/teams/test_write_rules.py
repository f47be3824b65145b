"""Who may change, delete and reassign what, through the API (domain/access.py over the
rules of domain/visibility.py): a record the caller does not see is NOT_FOUND, one they
read but may not change FORBIDDEN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from models import Contact, Customer, Opportunity
from tests.factories import (
    create_contact,
    create_customer,
    create_opportunity,
    default_pipeline,
    mutate,
    mutate_ok,
    pk,
)
from tests.factories.teams import create_team, member
from tests.helpers import Account, GraphQL, problems


@dataclass
class Office:
    """Sales (a manager, reps Ann and Bob) and Support (rep Cat), beside the admin; Ann owns
    a customer with a contact and a deal."""

    admin: Account
    manager: Account
    ann: Account
    bob: Account
    cat: Account
    customer: dict[str, Any]
    contact: dict[str, Any]
    deal: dict[str, Any]
    stages: dict[str, Any]


@pytest.fixture
async def office(gql: GraphQL, workspace: Account) -> Office:
    sales = await create_team(gql, workspace, "销售部")
    support = await create_team(gql, workspace, "客服部")
    manager = await member(gql, workspace, sales["id"], "MANAGER")
    ann = await member(gql, workspace, sales["id"])
    bob = await member(gql, workspace, sales["id"])
    cat = await member(gql, workspace, support["id"])
    customer = await create_customer(gql, ann, name="安的客户")
    contact = await create_contact(gql, ann, customer["id"])
    deal = await create_opportunity(gql, ann, customer["id"])
    stages = (await default_pipeline(gql, workspace))["by_name"]
    return Office(workspace, manager, ann, bob, cat, customer, contact, deal, stages)


def _writes(office: Office) -> list[tuple[str, dict[str, Any]]]:
    """Every write of Ann's records (or below them), as (shared document, variables)."""
    customer, contact, deal = office.customer["id"], office.contact["id"], office.deal["id"]
    return [
        ("updateCustomer", {"id": customer, "input": {"name": "改名"}}),
        ("createContact", {"input": {"customerId": customer, "name": "新联系人"}}),
        ("updateContact", {"id": contact, "input": {"name": "改名"}}),
        ("deleteContact", {"id": contact}),
        ("logActivity", {"input": {"customerId": customer, "kind": "CALL", "content": "x"}}),
        ("createOpportunity", {"input": {"customerId": customer, "name": "新单"}}),
        ("updateOpportunity", {"id": deal, "input": {"amount": "1", "probability": 100}}),
        ("moveOpportunity", {"id": deal, "stageId": office.stages["Lost"]["id"]}),
        ("deleteCustomer", {"id": customer}),
    ]


async def _unchanged(office: Office) -> None:
    customer = await Customer.get(id=pk(office.customer["id"]))
    assert customer.name == "安的客户"
    assert await Contact.filter(customer_id=customer.id).count() == 1
    deal = await Opportunity.get(id=pk(office.deal["id"]))
    assert (deal.probability_override, deal.status.value) == (None, "OPEN")


async def test_a_rep_cannot_reach_a_colleagues_records_by_any_write(
    gql: GraphQL, office: Office
) -> None:
    # when: Bob tries each write of Ann's records
    refused = {name: await mutate(gql, office.bob, name, **v) for name, v in _writes(office)}
    # then: each reads as if it did not exist
    for name, payload in refused.items():
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"], name
    await _unchanged(office)


async def test_a_shared_customer_is_read_only(gql: GraphQL, office: Office) -> None:
    # given
    await mutate_ok(
        gql,
        office.ann,
        "shareCustomer",
        customerId=office.customer["id"],
        userId=office.bob.user_id,
    )
    # when
    refused = {name: await mutate(gql, office.bob, name, **v) for name, v in _writes(office)}
    # then: Bob sees it, may not change it, and is told why
    for name, payload in refused.items():
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], name
        told = "delete policy" if name == "deleteCustomer" else "another rep's"
        assert told in payload["errors"][0]["message"], name
    await _unchanged(office)


async def test_unsharing_hides_it_again(gql: GraphQL, office: Office) -> None:
    # given
    ids = {"customerId": office.customer["id"], "userId": office.bob.user_id}
    await mutate_ok(gql, office.ann, "shareCustomer", **ids)
    # when
    await mutate_ok(gql, office.ann, "unshareCustomer", **ids)
    # then
    payload = await mutate(gql, office.bob, "updateCustomer", id=ids["customerId"], input={})
    assert problems(payload) == [("id", "NOT_FOUND")]


async def test_only_whoever_may_change_it_shares_it(gql: GraphQL, office: Office) -> None:
    # given
    customer_id = office.customer["id"]
    await mutate_ok(
        gql, office.ann, "shareCustomer", customerId=customer_id, userId=office.bob.user_id
    )
    # when: Bob (a reader) shares on, Cat (a stranger to it) tries too
    bob = await mutate(
        gql, office.bob, "shareCustomer", customerId=customer_id, userId=office.cat.user_id
    )
    cat = await mutate(
        gql, office.cat, "shareCustomer", customerId=customer_id, userId=office.cat.user_id
    )
    manager = await mutate(
        gql, office.manager, "shareCustomer", customerId=customer_id, userId=office.cat.user_id
    )
    # then
    assert problems(bob) == [("customerId", "FORBIDDEN")]
    assert problems(cat) == [("customerId", "NOT_FOUND")]
    assert manager["errors"] == []


async def test_the_owner_changes_their_own_records(gql: GraphQL, office: Office) -> None:
    # when: each write but the deletion of the customer
    done = {n: await mutate(gql, office.ann, n, **v) for n, v in _writes(office)[:-1]}
    # then
    assert {name: payload["errors"] for name, payload in done.items()} == {n: [] for n in done}


async def _give(
    gql: GraphQL, who: Account, thing: dict[str, Any], to: Account
) -> list[tuple[str | None, str]]:
    """The problems of `who` giving a customer or a deal (`thing`) to `to` by update."""
    operation = "updateOpportunity" if "stage" in thing else "updateCustomer"
    payload = await mutate(gql, who, operation, id=thing["id"], input={"ownerId": to.user_id})
    return problems(payload)


async def test_a_rep_cannot_give_a_customer_or_deal_away(gql: GraphQL, office: Office) -> None:
    # when
    by_update = await _give(gql, office.ann, office.customer, office.bob)
    deal = await _give(gql, office.ann, office.deal, office.bob)
    by_create = await mutate(
        gql, office.ann, "createCustomer", input={"name": "送人", "ownerId": office.bob.user_id}
    )
    new_deal = await mutate(
        gql,
        office.ann,
        "createOpportunity",
        input={"customerId": office.customer["id"], "name": "送人", "ownerId": office.bob.user_id},
    )
    own = await mutate(
        gql, office.ann, "createCustomer", input={"name": "自己的", "ownerId": office.ann.user_id}
    )
    # then
    forbidden = [("input.ownerId", "FORBIDDEN")]
    assert [by_update, deal, problems(by_create), problems(new_deal)] == [forbidden] * 4
    assert own["errors"] == []
    assert (await Customer.get(id=pk(office.customer["id"]))).owner_id == pk(office.ann.user_id)


async def test_a_manager_reassigns_between_the_members_they_manage(
    gql: GraphQL, office: Office
) -> None:
    # when
    to_bob = await _give(gql, office.manager, office.customer, office.bob)
    to_cat = await _give(gql, office.manager, office.customer, office.cat)
    deal_to_bob = await _give(gql, office.manager, office.deal, office.bob)
    # then: Cat is in a team the manager does not manage
    assert (to_bob, to_cat, deal_to_bob) == ([], [("input.ownerId", "FORBIDDEN")], [])
    assert (await Customer.get(id=pk(office.customer["id"]))).owner_id == pk(office.bob.user_id)
    # and Bob, the owner now, may work it; Ann no longer sees it
    bob = await mutate(gql, office.bob, "updateCustomer", id=office.customer["id"], input={})
    assert bob["errors"] == []
    ann = await mutate(gql, office.ann, "updateCustomer", id=office.customer["id"], input={})
    assert problems(ann) == [("id", "NOT_FOUND")]


async def test_a_pooled_customer_is_claimed_before_it_is_changed(
    gql: GraphQL, office: Office
) -> None:
    # given: the admin puts Ann's customer in the default pool
    await mutate_ok(
        gql, office.admin, "updateCustomer", id=office.customer["id"], input={"ownerId": None}
    )
    # when
    payload = await mutate(
        gql, office.bob, "updateCustomer", id=office.customer["id"], input={"name": "x"}
    )
    # then: everyone sees the default pool, nobody changes it unclaimed
    assert problems(payload) == [("id", "FORBIDDEN")]
    assert "claim" in payload["errors"][0]["message"]


# ---------------------------------------------------------------- the delete policy


async def _set_policy(gql: GraphQL, admin: Account, policy: str) -> None:
    payload = await mutate_ok(gql, admin, "updateWorkspace", input={"deletePolicy": policy})
    assert payload["workspace"]["deletePolicy"] == policy


async def _delete(gql: GraphQL, who: Account, customer_id: str) -> list[tuple[str | None, str]]:
    return problems(await mutate(gql, who, "deleteCustomer", id=customer_id))


@pytest.mark.parametrize(
    ("policy", "owner", "manager", "admin"),
    [
        ("OWNER", True, True, True),
        ("MANAGER", False, True, True),
        ("ADMIN", False, False, True),
    ],
)
async def test_who_may_delete_follows_the_workspace_policy(
    gql: GraphQL, office: Office, policy: str, owner: bool, manager: bool, admin: bool
) -> None:
    # given
    await _set_policy(gql, office.admin, policy)
    allowed = {"owner": owner, "manager": manager, "admin": admin}
    for who, account in (
        ("owner", office.ann),
        ("manager", office.manager),
        ("admin", office.admin),
    ):
        customer = await create_customer(gql, office.ann)
        # when
        refused = await _delete(gql, account, customer["id"])
        # then
        assert refused == ([] if allowed[who] else [("id", "FORBIDDEN")]), who
        assert await Customer.exists(id=pk(customer["id"])) is not allowed[who], who


async def test_the_default_policy_is_the_owners_manager(gql: GraphQL, office: Office) -> None:
    # when
    workspace = (await gql.execute("{ workspace { deletePolicy } }", token=office.ann.token)).ok()
    refused = await _delete(gql, office.ann, office.customer["id"])
    # then
    assert workspace == {"workspace": {"deletePolicy": "MANAGER"}}
    assert refused == [("id", "FORBIDDEN")]
    assert await _delete(gql, office.manager, office.customer["id"]) == []


async def test_only_an_admin_sets_the_policy(gql: GraphQL, office: Office) -> None:
    # when
    payload = await mutate(gql, office.manager, "updateWorkspace", input={"deletePolicy": "OWNER"})
    # then
    assert problems(payload) == [(None, "FORBIDDEN")]
