"""Who sees what, by every read path: one table of paths, each asked by a REP, their
MANAGER and an ADMIN, over one workspace's records (domain/visibility.py's rule).

The workspace: teams sales → east → shanghai and sales → west. The MANAGER manages east
(so shanghai too), where the REP and a colleague sit; a rep sits in shanghai, another in
west. Each of them (and the manager) owns a customer with a contact, a deal and a logged
activity whose follow-up is the author's reminder; west's second customer is shared with
the REP; the admin's last one went to the pool. Each but the pool's owner also started an
import.

A REP sees their own, what is shared with them and the pool; their MANAGER their teams'
(east's and shanghai's, not west's) and the pool; an ADMIN everything. A REP's reminders
are their own. What one may not see reads as another workspace's: null, absent, NOT_FOUND.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from api.core.ids import to_global_id
from domain.imports.jobs import ImportRequest, start_import
from models import Customer
from models.enums import ImportKind
from tests.factories import (
    create_customer,
    create_opportunity,
    invite,
    log_activity,
    make_pool,
    make_share,
    make_team_tree,
    mutate_ok,
    pk,
    put_in_pool,
    put_in_team,
    viewer_of,
)
from tests.helpers import Account, GraphQL
from tests.subscriptions import receive, signed_in_socket, subscribe

MARK = "可见性"
# Records and whose they are.
OWN, COLLEAGUE, SUB_TEAM, SIBLING_TEAM, MANAGERS, SHARED, POOLED = (
    "own",
    "colleague",
    "sub_team",
    "sibling_team",
    "managers",
    "shared",
    "pooled",
)
RECORDS = (OWN, COLLEAGUE, SUB_TEAM, SIBLING_TEAM, MANAGERS, SHARED, POOLED)
ADMINS = "admins"  # the admin's own import (the pooled customer has no owner to import)
JOBS = (OWN, COLLEAGUE, SUB_TEAM, SIBLING_TEAM, MANAGERS, ADMINS)

REP, MANAGER, ADMIN = "REP", "MANAGER", "ADMIN"
SEES = {
    REP: {OWN, SHARED, POOLED},
    MANAGER: {OWN, COLLEAGUE, SUB_TEAM, MANAGERS, POOLED},
    ADMIN: set(RECORDS),
}
# A REP's reminders are their own; the others' follow what they see.
SEES_REMINDERS = {REP: {OWN}, MANAGER: SEES[MANAGER], ADMIN: SEES[ADMIN]}
SEES_JOBS = {REP: {OWN}, MANAGER: {OWN, COLLEAGUE, SUB_TEAM, MANAGERS}, ADMIN: set(JOBS)}


@dataclass
class Record:
    customer: str
    contact: str
    activity: str
    reminder: str
    deal: str
    amount: Decimal


@dataclass
class World:
    gql: GraphQL
    http: httpx.AsyncClient
    server: str
    viewers: dict[str, Account]
    records: dict[str, Record] = field(default_factory=dict)
    jobs: dict[str, str] = field(default_factory=dict)
    foreign_job: str = ""
    owner_ids: set[str] = field(default_factory=set)

    def named(self, ids: set[str], kind: str) -> set[str]:
        """The records (or jobs) whose `kind` id is among `ids`."""
        if kind == "job":
            return {name for name, job in self.jobs.items() if job in ids}
        return {name for name, record in self.records.items() if getattr(record, kind) in ids}


async def _record(gql: GraphQL, owner: Account, name: str, amount: Decimal) -> Record:
    customer = await create_customer(
        gql,
        owner,
        name=f"{MARK} {name}",
        tags=[MARK],
        phone="021-6888-1234",
        email=f"{name}@example.cn",
        contacts=[{"name": f"{MARK}联系人 {name}", "phone": "13800138000"}],
    )
    contact = customer["contacts"]["edges"][0]["node"]["id"]
    deal = await create_opportunity(gql, owner, customer["id"], name=name, amount=str(amount))
    activity = await log_activity(
        gql,
        owner,
        customer["id"],
        contactId=contact,
        opportunityId=deal["id"],
        nextFollowUpAt=(datetime.now(UTC) + timedelta(days=3)).isoformat(),
    )
    return Record(
        customer["id"], contact, activity["id"], activity["reminder"]["id"], deal["id"], amount
    )


@pytest.fixture(scope="module")
async def world(server: str) -> Any:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=30) as http:
        gql = GraphQL(http)
        admin = await gql.sign_up(workspace_name="可见性公司")
        manager = await invite(gql, admin, "MANAGER")
        rep, colleague, sub, west = [await invite(gql, admin, "REP") for _ in range(4)]
        teams = await make_team_tree(
            admin, {"sales": None, "east": "sales", "shanghai": "east", "west": "sales"}
        )
        await put_in_team(teams["east"], manager, rep, colleague)
        await put_in_team(teams["shanghai"], sub)
        await put_in_team(teams["west"], west)
        await make_pool(admin, is_default=True)
        world = World(gql, http, server, {REP: rep, MANAGER: manager, ADMIN: admin})
        owners = {
            OWN: rep,
            COLLEAGUE: colleague,
            SUB_TEAM: sub,
            SIBLING_TEAM: west,
            MANAGERS: manager,
            SHARED: west,
            POOLED: admin,
        }
        world.owner_ids = {owner.user_id for owner in owners.values()}
        for bit, (name, owner) in enumerate(owners.items()):
            # Thousands of one bit each: a report's total says whose deals it counted.
            world.records[name] = await _record(gql, owner, name, Decimal(1000 << bit))
        await make_share(world.records[SHARED].customer, rep)
        await put_in_pool(world.records[POOLED].customer)
        await Customer.filter(id__in=[pk(r.customer) for r in world.records.values()]).update(
            score=50
        )
        job_owners = {**{name: owners[name] for name in JOBS if name in owners}, ADMINS: admin}
        for name, owner in job_owners.items():
            world.jobs[name] = await _queued_job(owner)
        world.foreign_job = await _queued_job(await gql.sign_up(workspace_name="别家"))
        yield world


async def _queued_job(owner: Account) -> str:
    request = ImportRequest(kind=ImportKind.CUSTOMERS, rows=[{"name": f"{MARK} 导入"}])
    job, _ = await start_import(await viewer_of(owner), request)
    return to_global_id("ImportJob", job.id)


# ---------------------------------------------------------------- the paths
# Each path gives the ids of one kind it showed the viewer (of the world's records).

Path = Callable[[World, Account], Awaitable[set[str]]]


async def _data(world: World, viewer: Account, query: str, **variables: Any) -> Any:
    return (await world.gql.execute(query, variables, viewer.token)).ok()


def _edges(connection: dict) -> list[dict]:
    return [edge["node"] for edge in connection["edges"]]


KINDS = {
    "customer": "Customer",
    "contact": "Contact",
    "activity": "Activity",
    "deal": "Opportunity",
    "reminder": "Reminder",
}


def via_node(kind: str, field: str | None = None, connection: bool = False) -> Path:
    """`node(id:)` of each record's `kind` id: the node's own id, or those of its `field`
    (an object, or a connection's first page)."""
    picked = "edges { node { id } }" if connection else "id"
    shown = "id" if field is None else f"{field} {{ {picked} }}"
    query = f"query($id: ID!) {{ node(id: $id) {{ id ... on {KINDS[kind]} {{ {shown} }} }} }}"

    async def path(world: World, viewer: Account) -> set[str]:
        found: set[str] = set()
        for record in world.records.values():
            node = (await _data(world, viewer, query, id=getattr(record, kind)))["node"]
            value = node if node is None or field is None else node[field]
            if value is not None:
                found |= {n["id"] for n in _edges(value)} if connection else {value["id"]}
        return found

    return path


CUSTOMER_LIST = """query($filter: CustomerFilter, $orderBy: CustomerOrder) {
  customers(first: 100, filter: $filter, orderBy: $orderBy) { edges { node {
    id
    contacts { edges { node { id } } }
    activities { edges { node { id reminder { id } } } }
    opportunities { edges { node { id } } }
  } } } }"""


async def _customers(world: World, viewer: Account, **variables: Any) -> list[dict]:
    return _edges((await _data(world, viewer, CUSTOMER_LIST, **variables))["customers"])


async def customers_list(world: World, viewer: Account) -> set[str]:
    return {c["id"] for c in await _customers(world, viewer)}


async def customers_search_by_name(world: World, viewer: Account) -> set[str]:
    return {c["id"] for c in await _customers(world, viewer, filter={"search": MARK})}


async def customers_search_by_contact(world: World, viewer: Account) -> set[str]:
    found = await _customers(world, viewer, filter={"search": f"{MARK}联系人"})
    return {c["id"] for c in found}


async def customers_by_tag(world: World, viewer: Account) -> set[str]:
    return {c["id"] for c in await _customers(world, viewer, filter={"tag": MARK})}


async def customers_by_owner(world: World, viewer: Account) -> set[str]:
    found = set()
    for owner_id in world.owner_ids:
        owned = await _customers(world, viewer, filter={"ownerId": owner_id})
        found |= {c["id"] for c in owned}
    return found


async def score_ranking(world: World, viewer: Account) -> set[str]:
    ranked = await _customers(
        world, viewer, filter={"minScore": 40}, orderBy={"field": "SCORE", "direction": "DESC"}
    )
    return {c["id"] for c in ranked}


async def customer_by_id(world: World, viewer: Account) -> set[str]:
    query = "query($id: ID!) { customer(id: $id) { id } }"
    found = set()
    for record in world.records.values():
        customer = (await _data(world, viewer, query, id=record.customer))["customer"]
        found |= {customer["id"]} if customer else set()
    return found


def nested(field: str) -> Path:
    """The ids of a connection of every customer of the list."""

    async def path(world: World, viewer: Account) -> set[str]:
        return {n["id"] for c in await _customers(world, viewer) for n in _edges(c[field])}

    return path


async def deals_list(world: World, viewer: Account) -> set[str]:
    query = "{ opportunities(first: 100) { edges { node { id } } } }"
    return {n["id"] for n in _edges((await _data(world, viewer, query))["opportunities"])}


async def deals_of_customer(world: World, viewer: Account) -> set[str]:
    query = """query($id: ID!) {
      opportunities(first: 100, filter: {customerId: $id}) { edges { node { id } } } }"""
    found = set()
    for record in world.records.values():
        deals = (await _data(world, viewer, query, id=record.customer))["opportunities"]
        found |= {n["id"] for n in _edges(deals)}
    return found


async def pipeline_report(world: World, viewer: Account) -> set[str]:
    query = "{ pipelineReport { openAmount openCount owners { openAmount } } }"
    report = (await _data(world, viewer, query))["pipelineReport"]
    total = int(Decimal(report["openAmount"]))
    assert sum(Decimal(owner["openAmount"]) for owner in report["owners"]) == total
    counted = {r.deal for r in world.records.values() if total // 1000 & int(r.amount) // 1000}
    assert report["openCount"] == len(counted)
    return counted


async def reminders_list(world: World, viewer: Account) -> set[str]:
    query = """query($filter: ReminderFilter) {
      reminders(first: 100, filter: $filter) { edges { node { id } } } }"""
    everyone = {"allUsers": True} if viewer is not world.viewers[REP] else None
    return {
        n["id"] for n in _edges((await _data(world, viewer, query, filter=everyone))["reminders"])
    }


async def activities_reminders(world: World, viewer: Account) -> set[str]:
    return {
        n["reminder"]["id"]
        for c in await _customers(world, viewer)
        for n in _edges(c["activities"])
        if n["reminder"]
    }


async def recompute_scores(world: World, viewer: Account) -> set[str]:
    query = """mutation($ids: [ID!]) { recomputeScores(customerIds: $ids) {
      queued errors { code } } }"""
    found = set()
    for record in world.records.values():
        payload = (await _data(world, viewer, query, ids=[record.customer]))["recomputeScores"]
        if [e["code"] for e in payload["errors"]] != ["NOT_FOUND"]:
            found.add(record.customer)
    return found


async def import_jobs_list(world: World, viewer: Account) -> set[str]:
    query = "{ importJobs(first: 100) { edges { node { id } } } }"
    return {n["id"] for n in _edges((await _data(world, viewer, query))["importJobs"])}


async def _each_job(
    world: World, viewer: Account, seen: Callable[[str], Awaitable[bool]]
) -> set[str]:
    return {job for job in world.jobs.values() if await seen(job)}


async def import_job_by_id(world: World, viewer: Account) -> set[str]:
    async def seen(job: str) -> bool:
        data = await _data(world, viewer, "query($id: ID!) { importJob(id: $id) { id } }", id=job)
        return data["importJob"] is not None

    return await _each_job(world, viewer, seen)


async def import_job_node(world: World, viewer: Account) -> set[str]:
    async def seen(job: str) -> bool:
        query = "query($id: ID!) { node(id: $id) { id } }"
        return (await _data(world, viewer, query, id=job))["node"] is not None

    return await _each_job(world, viewer, seen)


async def error_report_download(world: World, viewer: Account) -> set[str]:
    async def answer(job: str) -> tuple[int, str]:
        headers = {"Authorization": f"Bearer {viewer.token}"}
        response = await world.http.get(f"/imports/{job}/errors.csv", headers=headers)
        return response.status_code, response.text

    foreign = await answer(world.foreign_job)
    assert foreign[0] == 404

    async def seen(job: str) -> bool:
        found = await answer(job)
        # What the viewer may not see answers as another workspace's job does.
        assert found[0] == 200 or found == foreign, found
        return found[0] == 200

    return await _each_job(world, viewer, seen)


CANCEL = "mutation($id: ID!) { cancelImport(id: $id) { errors { field message code } } }"


async def cancel_import(world: World, viewer: Account) -> set[str]:
    foreign = (await _data(world, viewer, CANCEL, id=world.foreign_job))["cancelImport"]["errors"]
    assert [error["code"] for error in foreign] == ["NOT_FOUND"]

    async def seen(job: str) -> bool:
        errors = (await _data(world, viewer, CANCEL, id=job))["cancelImport"]["errors"]
        # Cancelled now or before (CONFLICT: already CANCELLED), or not found like a foreign one.
        assert errors in ([], foreign) or errors[0]["code"] == "CONFLICT", errors
        return errors != foreign

    return await _each_job(world, viewer, seen)


PROGRESS = "subscription($id: ID!) { importJobProgress(id: $id) { id } }"


async def import_job_progress(world: World, viewer: Account) -> set[str]:
    async def first_message(job: str) -> dict:
        async with signed_in_socket(world.server, viewer.token) as ws:
            await subscribe(ws, PROGRESS, {"id": job})
            return await receive(ws)

    foreign = (await first_message(world.foreign_job))["payload"]
    assert [e["extensions"]["code"] for e in foreign["errors"]] == ["NOT_FOUND"]

    async def seen(job: str) -> bool:
        message = await first_message(job)
        assert message["type"] == "next", message
        # What the viewer may not see answers as another workspace's job does.
        assert message["payload"].get("data") or message["payload"] == foreign, message
        return message["payload"].get("data") is not None

    return await _each_job(world, viewer, seen)


# (name, path, the kind of id it shows, who sees which)
PATHS: list[tuple[str, Path, str, dict[str, set[str]]]] = [
    ("customers", customers_list, "customer", SEES),
    ("customers search by name", customers_search_by_name, "customer", SEES),
    ("customers search by contact", customers_search_by_contact, "customer", SEES),
    ("customers by tag", customers_by_tag, "customer", SEES),
    # (a pooled customer has no owner to filter by)
    (
        "customers by owner",
        customers_by_owner,
        "customer",
        {r: s - {POOLED} for r, s in SEES.items()},
    ),
    ("score ranking", score_ranking, "customer", SEES),
    ("customer(id)", customer_by_id, "customer", SEES),
    ("node Customer", via_node("customer"), "customer", SEES),
    ("Contact.customer", via_node("contact", "customer"), "customer", SEES),
    ("Activity.customer", via_node("activity", "customer"), "customer", SEES),
    ("Opportunity.customer", via_node("deal", "customer"), "customer", SEES),
    ("Reminder.customer", via_node("reminder", "customer"), "customer", SEES_REMINDERS),
    ("recomputeScores ids", recompute_scores, "customer", SEES),
    ("node Contact", via_node("contact"), "contact", SEES),
    ("Customer.contacts", nested("contacts"), "contact", SEES),
    ("Activity.contact", via_node("activity", "contact"), "contact", SEES),
    ("node Activity", via_node("activity"), "activity", SEES),
    ("Customer.activities", nested("activities"), "activity", SEES),
    ("Contact.activities", via_node("contact", "activities", True), "activity", SEES),
    ("Opportunity.activities", via_node("deal", "activities", True), "activity", SEES),
    ("Reminder.activity", via_node("reminder", "activity"), "activity", SEES_REMINDERS),
    ("node Opportunity", via_node("deal"), "deal", SEES),
    ("opportunities", deals_list, "deal", SEES),
    ("opportunities by customer", deals_of_customer, "deal", SEES),
    ("Customer.opportunities", nested("opportunities"), "deal", SEES),
    ("Activity.opportunity", via_node("activity", "opportunity"), "deal", SEES),
    ("pipelineReport", pipeline_report, "deal", SEES),
    ("node Reminder", via_node("reminder"), "reminder", SEES_REMINDERS),
    ("reminders", reminders_list, "reminder", SEES_REMINDERS),
    ("Customer.activities.reminder", activities_reminders, "reminder", SEES_REMINDERS),
    ("importJobs", import_jobs_list, "job", SEES_JOBS),
    ("importJob(id)", import_job_by_id, "job", SEES_JOBS),
    ("node ImportJob", import_job_node, "job", SEES_JOBS),
    ("errors.csv", error_report_download, "job", SEES_JOBS),
    ("importJobProgress", import_job_progress, "job", SEES_JOBS),
    ("cancelImport", cancel_import, "job", SEES_JOBS),
]


@pytest.mark.parametrize("role", [REP, MANAGER, ADMIN])
@pytest.mark.parametrize(("name", "path", "kind", "sees"), PATHS, ids=[p[0] for p in PATHS])
async def test_each_path_shows_exactly_what_the_viewer_sees(
    world: World, name: str, path: Path, kind: str, sees: dict[str, set[str]], role: str
):
    # given: the world above
    viewer = world.viewers[role]

    # when
    shown = await path(world, viewer)

    # then
    assert world.named(shown, kind) == sees[role]


# ---------------------------------------------------------------- the pool's contact details

POOLED_DETAILS = """query($id: ID!, $contact: ID!) {
  customers(first: 10) { edges { node { id phone email contacts { edges { node {
    phone email } } } } } }
  node(id: $id) { ... on Customer { phone email } }
  contact: node(id: $contact) { ... on Contact { phone email } }
}"""
IN_FULL = ("+86 138-0013-8000", "buyer@example.cn", "021-6888-1234", "wang@yunfan.cn")
MASKED = ("138****8000", "b****@example.cn", "021****1234", "w****@yunfan.cn")


async def _pooled_customer(gql: GraphQL, admin: Account, pool: Any = None) -> tuple[str, str]:
    """A customer with a contact, put in `pool` (None: the default pool); its and its
    contact's ids."""
    customer = await create_customer(
        gql,
        admin,
        phone=IN_FULL[0],
        email=IN_FULL[1],
        contacts=[{"name": "王伟", "phone": IN_FULL[2], "email": IN_FULL[3]}],
    )
    await put_in_pool(customer["id"], pool)
    return customer["id"], customer["contacts"]["edges"][0]["node"]["id"]


async def _details(gql: GraphQL, viewer: Account, customer: str, contact: str) -> set[tuple]:
    """The customer's and its contact's phone and e-mail, by each path that shows them."""
    data = (
        await gql.execute(POOLED_DETAILS, {"id": customer, "contact": contact}, viewer.token)
    ).ok()
    [listed] = [c for c in _edges(data["customers"]) if c["id"] == customer]
    [nested] = _edges(listed["contacts"])
    return {
        (listed["phone"], listed["email"], nested["phone"], nested["email"]),
        (
            data["node"]["phone"],
            data["node"]["email"],
            data["contact"]["phone"],
            data["contact"]["email"],
        ),
    }


async def test_a_rep_reads_a_pooled_customers_phone_and_email_masked(gql: GraphQL, workspace):
    # given: a rep and the manager of their team; the default pool masks
    rep = await invite(gql, workspace, "REP")
    manager = await invite(gql, workspace, "MANAGER")
    teams = await make_team_tree(workspace, {"sales": None})
    await put_in_team(teams["sales"], rep, manager)
    await make_pool(workspace, is_default=True, mask_contacts=True)
    customer, contact = await _pooled_customer(gql, workspace)

    # when
    reps = await _details(gql, rep, customer, contact)
    managers = await _details(gql, manager, customer, contact)
    admins = await _details(gql, workspace, customer, contact)

    # then: the rep's masked by every path; the manager and the admin read them in full
    assert reps == {MASKED}
    assert managers == admins == {IN_FULL}


async def test_a_pool_that_does_not_mask_and_a_claimed_customer_read_in_full(
    gql: GraphQL, workspace
):
    # given: a pool that does not mask, and a customer of the default pool (which masks)
    # that the rep then claims
    rep = await invite(gql, workspace, "REP")
    open_pool = await make_pool(workspace, "开放公海", mask_contacts=False)
    unmasked = await _pooled_customer(gql, workspace, open_pool)
    claimed = await _pooled_customer(gql, workspace)
    before_claim = await _details(gql, rep, *claimed)
    await Customer.filter(id=pk(claimed[0])).update(owner_id=pk(rep.user_id))

    # when
    open_details = await _details(gql, rep, *unmasked)
    after_claim = await _details(gql, rep, *claimed)

    # then
    assert before_claim == {MASKED}
    assert open_details == after_claim == {IN_FULL}


SEARCH = """query($search: String!) {
  customers(first: 10, filter: {search: $search}) { edges { node { id } } } }"""


async def test_a_rep_cannot_find_a_pooled_customer_by_the_details_masked_from_them(
    gql: GraphQL, workspace
):
    # given
    rep = await invite(gql, workspace, "REP")
    customer, _ = await _pooled_customer(gql, workspace)
    name = (await Customer.get(id=pk(customer))).name

    async def found(viewer: Account, text: str) -> bool:
        data = (await gql.execute(SEARCH, {"search": text}, viewer.token)).ok()
        return [c["id"] for c in _edges(data["customers"])] == [customer]

    # when / then: digits by digits would spell the number out; the name finds it
    for text in ("1380013", "13800138000", "buyer@", "6888", "wang@yunfan"):
        assert not await found(rep, text), text
        assert await found(workspace, text), text
    assert await found(rep, name)


POOLED_HISTORY = """query($id: ID!) {
  node(id: $id) { ... on Customer {
    history(first: 50) { edges { node { field oldValue newValue } } }
    timeline(first: 50) { edges { node { ... on FieldChange { field oldValue newValue } } } }
  } }
}"""


async def test_a_rep_reads_a_pooled_customers_details_masked_in_its_history_too(
    gql: GraphQL, workspace
):
    # given: a pooled customer whose phone and e-mail were set, then changed
    rep = await invite(gql, workspace, "REP")
    await make_pool(workspace, is_default=True, mask_contacts=True)
    customer, _ = await _pooled_customer(gql, workspace)
    await Customer.filter(id=pk(customer)).update(owner_id=pk(workspace.user_id))
    await mutate_ok(gql, workspace, "updateCustomer", id=customer, input={"phone": "13900139000"})
    await put_in_pool(customer)

    # when
    def details(data: dict[str, Any]) -> set[Any]:
        node = data["node"]
        entries = _edges(node["history"]) + _edges(node["timeline"])
        return {
            value
            for entry in entries
            if entry and entry["field"] in ("phone", "email")
            for value in (entry["oldValue"], entry["newValue"])
            if value is not None
        }

    reps = details((await gql.execute(POOLED_HISTORY, {"id": customer}, rep.token)).ok())
    admins = details((await gql.execute(POOLED_HISTORY, {"id": customer}, workspace.token)).ok())

    # then: the admin reads the numbers and addresses; the rep only their masked forms
    assert {"+86 138-0013-8000", "13900139000", "buyer@example.cn", "wang@yunfan.cn"} <= admins
    assert reps and all("****" in value for value in reps)
    assert "139****9000" in reps
