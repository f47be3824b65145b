"""recomputeScores: who may ask for what, and the scores a real worker then writes."""

import logging
from datetime import UTC, datetime

import pytest
from arq import ArqRedis

from api.core.ids import to_global_id
from api.customers.scores import queue_scores
from domain.errors import DomainError
from domain.scoring import MAX_CUSTOMER_IDS, ScoreRequest
from models import Customer
from tests.factories import invite, pk, viewer_of
from tests.helpers import Account, GraphQL, count_queries
from tests.ops.processes import free_port
from tests.scoring.support import (
    ACTIVE_BREAKDOWN,
    ACTIVE_SCORE,
    active_customer,
    fresh_customer,
    run_score_jobs,
    score_jobs,
)

RECOMPUTE = """
mutation Recompute($ids: [ID!]) {
  recomputeScores(customerIds: $ids) { queued errors { field message code } }
}
"""
CUSTOMERS = """
query Customers($filter: CustomerFilter) {
  customers(first: 10, filter: $filter, orderBy: {field: SCORE, direction: DESC}) {
    edges { node { id score scoredAt scoreBreakdown { key label points reason } } }
  }
}
"""


async def _recompute(gql: GraphQL, account: Account, ids: list[str] | None = None) -> dict:
    result = await gql.execute(RECOMPUTE, {"ids": ids}, account.token)
    return result.ok()["recomputeScores"]


async def _customers(gql: GraphQL, account: Account, **flt) -> list[dict]:
    result = await gql.execute(CUSTOMERS, {"filter": flt or None}, account.token)
    return [edge["node"] for edge in result.ok()["customers"]["edges"]]


async def test_the_whole_workspace_is_scored_once_a_worker_runs(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str, run_worker
):
    # given
    viewer = await viewer_of(workspace)
    fresh = await fresh_customer(gql, workspace)
    active = await active_customer(gql, workspace, datetime.now(UTC))
    before = datetime.now(UTC)

    # when
    payload = await _recompute(gql, workspace)

    # then: queued, and nothing scored until a worker runs the job
    assert payload == {"queued": True, "errors": []}
    assert [c["score"] for c in await _customers(gql, workspace)] == [None, None]
    jobs = await score_jobs(arq_redis, viewer.workspace_id)
    assert len(jobs) == 1

    # when
    worker = await run_score_jobs(arq_redis, queue_name, jobs, run_worker)

    # then
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    first, second = await _customers(gql, workspace)
    assert (first["id"], second["id"]) == (active, fresh)
    assert first["score"] == ACTIVE_SCORE
    assert first["scoreBreakdown"] == ACTIVE_BREAKDOWN
    assert datetime.fromisoformat(first["scoredAt"]) >= before
    assert second["score"] == 3.0
    assert [c["key"] for c in second["scoreBreakdown"]] == [
        "recency",
        "frequency",
        "pipeline",
        "profile",
    ]
    assert [c["id"] for c in await _customers(gql, workspace, minScore=50)] == [active]


async def test_a_rep_may_rescore_named_customers_and_only_those_change(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis, queue_name: str, run_worker
):
    # given
    viewer = await viewer_of(workspace)
    rep = await invite(gql, workspace, "REP")
    left = await fresh_customer(gql, rep, "不动")
    named = await active_customer(gql, rep, datetime.now(UTC))  # the rep's: they see it

    # when
    payload = await _recompute(gql, rep, [named, named])
    worker = await run_score_jobs(
        arq_redis, queue_name, await score_jobs(arq_redis, viewer.workspace_id), run_worker
    )

    # then
    assert payload == {"queued": True, "errors": []}
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    assert (await Customer.get(id=pk(named))).score == ACTIVE_SCORE
    untouched = await Customer.get(id=pk(left))
    assert (untouched.score, untouched.score_breakdown, untouched.scored_at) == (None, [], None)


async def test_only_managers_and_admins_may_rescore_the_whole_workspace(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis
):
    # given
    viewer = await viewer_of(workspace)
    rep = await invite(gql, workspace, "REP")
    manager = await invite(gql, workspace, "MANAGER")

    # when
    refused = await _recompute(gql, rep)

    # then
    assert refused["queued"] is False
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(None, "FORBIDDEN")]
    assert await score_jobs(arq_redis, viewer.workspace_id) == []
    assert (await _recompute(gql, manager)) == {"queued": True, "errors": []}


async def test_ids_that_are_not_the_workspaces_customers_are_not_found(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis
):
    # given
    viewer = await viewer_of(workspace)
    ours = await fresh_customer(gql, workspace)
    other = await gql.sign_up(workspace_name="别家公司")
    theirs = await fresh_customer(gql, other)
    cases = {
        "another workspace's": [ours, theirs],
        "malformed": [ours, "not-an-id"],
        "another type's": [ours, workspace.user_id],
        "deleted or never made": [ours, to_global_id("Customer", 2**62)],
    }

    for case, ids in cases.items():
        # when
        payload = await _recompute(gql, workspace, ids)

        # then: one error on customerIds, and nothing queued
        assert payload["queued"] is False, case
        assert payload["errors"] == [
            {"field": "customerIds", "message": "Customer not found.", "code": "NOT_FOUND"}
        ], case
    assert await score_jobs(arq_redis, viewer.workspace_id) == []

    # and several missing ones are counted
    payload = await _recompute(gql, workspace, [theirs, "x", ours])
    assert payload["errors"][0]["message"] == "2 customers not found."


async def test_a_request_names_between_one_and_the_cap_of_customers(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis
):
    # given
    viewer = await viewer_of(workspace)
    too_many = [to_global_id("Customer", n) for n in range(1, MAX_CUSTOMER_IDS + 2)]

    # when
    over = await _recompute(gql, workspace, too_many)
    empty = await _recompute(gql, workspace, [])

    # then
    for payload in (over, empty):
        assert payload["queued"] is False
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("customerIds", "INVALID")]
    assert "At most 1,000 customers" in over["errors"][0]["message"]
    assert await score_jobs(arq_redis, viewer.workspace_id) == []


async def test_repeated_requests_collapse_into_one_waiting_job(
    gql: GraphQL, workspace: Account, arq_redis: ArqRedis
):
    # given
    viewer = await viewer_of(workspace)
    one, two = await fresh_customer(gql, workspace), await fresh_customer(gql, workspace)

    # when: the whole workspace twice, one customer twice (in any order), another once
    for ids in (None, None, [one, two], [two, one], [one]):
        assert (await _recompute(gql, workspace, ids))["queued"] is True

    # then
    assert len(await score_jobs(arq_redis, viewer.workspace_id)) == 3


@pytest.mark.parametrize("size", [3, 30])
async def test_a_request_costs_the_same_statements_whatever_its_size(
    gql: GraphQL, workspace: Account, size: int
):
    # given
    ids = [await fresh_customer(gql, workspace, f"客户 {i}") for i in range(size)]

    # when
    with count_queries() as statements:
        payload = await _recompute(gql, workspace, ids)

    # then: the viewer, the customers, the workspace
    assert payload == {"queued": True, "errors": []}
    assert len(statements) == 3, statements


async def test_when_redis_is_down_nothing_is_queued_and_the_caller_is_told(
    workspace: Account, caplog: pytest.LogCaptureFixture
):
    # given: a Redis nobody listens on
    viewer = await viewer_of(workspace)
    request = ScoreRequest(viewer.workspace_id, datetime.now(UTC), None)
    down = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)

    # when
    with (
        caplog.at_level(logging.WARNING, logger="crm.api.scores"),
        pytest.raises(DomainError) as refused,
    ):
        await queue_scores(down, request)
    await down.aclose()

    # then: only the refusal escapes, which the mutation's payload carries (queued: false)
    assert [(p.field, p.code.value) for p in refused.value.problems] == [(None, "CONFLICT")]
    assert "unavailable" in refused.value.problems[0].message
    assert "could not queue the job" in caplog.text
