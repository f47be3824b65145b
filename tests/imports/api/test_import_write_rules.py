"""Imports obey the write rules of the API: rows match only the records their job's viewer
sees, a matched record they may not change is a row error (FORBIDDEN), and a row naming
an owner obeys who may reassign. Started with startImport, run by a real worker."""

from __future__ import annotations

from typing import Any

from arq import ArqRedis

from models import Contact, Customer, ImportJob, ImportRowError
from tests.factories import create_customer, mutate_ok, pk, workspace_pk
from tests.factories.teams import create_team, member
from tests.helpers import Account, GraphQL
from tests.imports.api.support import nudge_of, run_nudge_on_worker, start_import


async def _import(
    gql: GraphQL,
    arq_redis: ArqRedis,
    queue_name: str,
    who: Account,
    kind: str,
    rows: list[dict[str, Any]],
    mode: str = "UPSERT",
) -> tuple[tuple[int, int, int, int], list[tuple[int, str | None, str | None]]]:
    """(created, updated, skipped, failed) and the row errors (row, field, code) of a job
    `who` starts through the API, run by a real worker."""
    started = await start_import(gql, who.token, kind=kind, rows=rows, mode=mode)
    assert started["errors"] == [], started["errors"]
    job_pk = pk(started["importJob"]["id"])
    nudge = await nudge_of(arq_redis, job_pk)
    assert nudge is not None
    await run_nudge_on_worker(arq_redis, nudge, queue_name)
    job = await ImportJob.get(id=job_pk)
    errors = await ImportRowError.filter(job_id=job_pk).order_by("row")
    counts = (job.created_count, job.updated_count, job.skipped_count, job.failed_count)
    return counts, [(e.row, e.field, e.code) for e in errors]


async def test_a_reps_update_cannot_rewrite_the_admins_customer_by_external_id(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str
) -> None:
    # given
    await create_customer(gql, workspace, name="管理员的客户", externalId="ADM-1")
    rep = await member(gql, workspace, None)
    row = {"externalId": "ADM-1", "name": "改掉", "industry": "黑客"}
    # when: an UPDATE finds nothing the rep sees; an UPSERT may not take the external id
    update = await _import(gql, arq_redis, queue_name, rep, "CUSTOMERS", [row], "UPDATE")
    upsert = await _import(gql, arq_redis, queue_name, rep, "CUSTOMERS", [row], "UPSERT")
    # then
    assert update == ((0, 0, 1, 0), [])
    assert upsert == ((0, 0, 0, 1), [(1, "externalId", "DUPLICATE")])
    stored = await Customer.get(external_id="ADM-1", workspace_id=await workspace_pk(workspace))
    assert (stored.name, stored.industry) == ("管理员的客户", None)


async def test_a_rep_matching_by_phone_never_lands_on_a_colleagues_customer(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str
) -> None:
    # given
    ann = await member(gql, workspace, None)
    bob = await member(gql, workspace, None)
    anns = await create_customer(gql, ann, name="安的客户", phone="13800138000")
    # when: Bob upserts by phone
    row = {"name": "鲍的客户", "phone": "13800138000"}
    counts, errors = await _import(gql, arq_redis, queue_name, bob, "CUSTOMERS", [row])
    # then: he creates his own; Ann's is as it was
    assert (counts, errors) == ((1, 0, 0, 0), [])
    assert (await Customer.get(id=pk(anns["id"]))).name == "安的客户"


async def test_a_shared_customer_matched_by_an_import_is_a_forbidden_row(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str
) -> None:
    # given: Ann shares her customer with Bob
    ann = await member(gql, workspace, None)
    bob = await member(gql, workspace, None)
    anns = await create_customer(gql, ann, name="安的客户", externalId="ANN-1")
    await mutate_ok(gql, ann, "shareCustomer", customerId=anns["id"], userId=bob.user_id)
    # when: Bob updates it, and adds a contact to it
    customer = await _import(
        gql, arq_redis, queue_name, bob, "CUSTOMERS", [{"externalId": "ANN-1", "name": "x"}]
    )
    contact = await _import(
        gql,
        arq_redis,
        queue_name,
        bob,
        "CONTACTS",
        [{"customer.externalId": "ANN-1", "name": "新联系人"}],
    )
    # then
    assert customer == ((0, 0, 0, 1), [(1, None, "FORBIDDEN")])
    assert contact[0] == (0, 0, 0, 1)
    assert [code for _, _, code in contact[1]] == ["FORBIDDEN"]
    assert (await Customer.get(id=pk(anns["id"]))).name == "安的客户"
    assert not await Contact.filter(customer_id=pk(anns["id"])).exists()


async def test_a_row_naming_a_customer_the_rep_does_not_see_finds_none(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str
) -> None:
    # given
    await create_customer(gql, workspace, name="管理员的客户", externalId="ADM-2")
    rep = await member(gql, workspace, None)
    # when
    rows = [{"customer.externalId": "ADM-2", "name": "偷偷加的"}]
    counts, errors = await _import(gql, arq_redis, queue_name, rep, "CONTACTS", rows)
    # then
    assert (counts, errors) == ((0, 0, 0, 1), [(1, "customer.externalId", "NOT_FOUND")])


async def test_rows_naming_an_owner_obey_who_may_reassign(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str
) -> None:
    # given: a manager over Ann and Bob
    team = await create_team(gql, workspace, "销售部")
    manager = await member(gql, workspace, team["id"], "MANAGER")
    ann = await member(gql, workspace, team["id"])
    bob = await member(gql, workspace, team["id"])
    # when: Ann gives a new customer to Bob; the manager gives one to Bob, and Ann's to Bob
    anns = await create_customer(gql, ann, name="安的客户", externalId="ANN-2")
    by_ann = await _import(
        gql, arq_redis, queue_name, ann, "CUSTOMERS", [{"name": "送人", "owner": bob.email}]
    )
    rows = [
        {"name": "经理分配", "owner": bob.email},
        {"externalId": "ANN-2", "owner": bob.email},
    ]
    by_manager = await _import(gql, arq_redis, queue_name, manager, "CUSTOMERS", rows)
    # then
    assert by_ann == ((0, 0, 0, 1), [(1, "owner", "FORBIDDEN")])
    assert by_manager == ((1, 1, 0, 0), [])
    assert (await Customer.get(id=pk(anns["id"]))).owner_id == pk(bob.user_id)
