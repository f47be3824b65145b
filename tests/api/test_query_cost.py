"""A query's cost is estimated before it runs: over the budget it is refused with its cost,
before any resolver or SQL runs; at the budget it runs (see api/core/cost.py)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.core.ids import from_global_id
from crm.settings import get_settings
from models import Activity, Customer, User
from models.enums import ActivityKind
from tests.cpu import cpu_time
from tests.helpers import Account, GraphQL, count_queries
from tests.subscriptions import receive, signed_in_socket, subscribe

BUDGET = 50_000
# The query seen in issue 9: 100 customers, 100 activities each, each activity's customer
# and its 100 activities: 100 + 100·100 + 100·100·100 nodes.
ATTACK = """
query Attack {
  customers(first: 100) { edges { node { activities(first: 100) { edges { node {
    customer { activities(first: 100) { edges { node { id content } } } }
  } } } } } }
}
"""
ATTACK_COST = 1_010_100
# The same shape, its pages chosen so that it asks for 50 + 50·27 + 50·27·36 = 50,000 nodes:
# the budget exactly; one more activity at the bottom (`c` = 37) asks for 51,350.
SHAPED = """
query Shaped($a: Int!, $b: Int!, $c: Int!) {
  customers(first: $a) { edges { node { activities(first: $b) { edges { node {
    customer { activities(first: $c) { edges { node { id } } } }
  } } } } } }
}
"""
# Fragments, aliases, a variable and nested connections in one document:
#   mine: customers(first: 7)                             7
#     ...CustomerParts: contacts (default page 20)        7·20 = 140
#       activities(first: 3) under each contact           7·20·3 = 420
#     recent: activities(first: $recent = 5)              7·5 = 35
#     older: activities(first: 2)                         7·2 = 14
#     opportunities(first: 4) › lineItems (200 at most)   7·4 = 28 + 7·4·200 = 5,600
#   ...CustomerParts spread twice merges into one selection: counted once.
MIXED = """
query Mixed($recent: Int) {
  mine: customers(first: 7) { edges { node {
    ...CustomerParts
    ...CustomerParts
    recent: activities(first: $recent) { edges { node { id } } }
    older: activities(first: 2) { edges { node { id } } }
    ... on Customer { opportunities(first: 4) { edges { node { lineItems { name } } } } }
  } } }
}
fragment CustomerParts on Customer {
  contacts { edges { node { name activities(first: 3) { totalCount } } } }
}
"""
MIXED_COST = 7 + 140 + 420 + 35 + 14 + 28 + 5_600
# A mutation's selection: five aliases of customer › activities(100) › customer › contacts(100),
# 10,100 nodes each.
COSTLY_MUTATION = (
    'mutation { createCustomer(input: {name: "贵客户"}) { customer { '
    + " ".join(
        f"a{i}: activities(first: 100) {{ edges {{ node {{ customer {{ "
        "contacts(first: 100) { edges { node { name } } } } } } }"
        for i in range(5)
    )
    + " } errors { message } } }"
)
# customer 1 + errors (a list of UserError: 100 at most), plus 5 · 10,100.
COSTLY_MUTATION_COST = 5 * (100 + 100 * 100) + 100
COSTLY_SUBSCRIPTION = (
    "subscription { reminderDue { customer { "
    + " ".join(
        f"a{i}: activities(first: 100) {{ edges {{ node {{ customer {{ "
        "activities(first: 100) { edges { node { id } } } } } } }"
        for i in range(5)
    )
    + " } } }"
)
COSTLY_SUBSCRIPTION_COST = 5 * (100 + 100 * 100)
CUSTOMER_COUNT = 'query { customers(filter: {search: "贵客户"}) { totalCount } }'
# The CPU time (tests/cpu.py) a refusal may cost the process: the attack itself ran for
# some 45 s.
REFUSED_WITHIN = 1.0


def _refusal(errors: list[dict], cost: int) -> dict:
    [error] = errors
    assert "budget" in error["message"] and f"{cost:,}" in error["message"], error["message"]
    return error["extensions"]


@pytest.fixture(scope="module")
async def module_gql(server: str) -> AsyncIterator[GraphQL]:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=600) as http:
        yield GraphQL(http)


@pytest.fixture(scope="module")
async def crowded(module_gql: GraphQL) -> Account:
    """A workspace the attack would fill: 100 customers with 100 activities each."""
    account = await module_gql.sign_up(workspace_name="热闹的公司")
    user = await User.get(id=from_global_id(account.user_id)[1])
    await Customer.bulk_create(
        [Customer(workspace_id=user.workspace_id, name=f"客户 {i:03d}") for i in range(100)]
    )
    customers = await Customer.filter(workspace_id=user.workspace_id).values_list("id", flat=True)
    now = datetime.now(UTC)
    await Activity.bulk_create(
        [
            Activity(
                workspace_id=user.workspace_id,
                customer_id=customer,
                author_id=user.id,
                kind=ActivityKind.CALL,
                occurred_at=now - timedelta(minutes=k),
                content=f"第 {k} 次通话",
            )
            for customer in customers
            for k in range(100)
        ],
        batch_size=1000,
    )
    return account


def test_the_default_budget():
    assert get_settings().max_query_cost == BUDGET


async def test_the_attack_is_refused_with_its_cost_before_any_sql(gql: GraphQL, crowded: Account):
    # when
    with count_queries() as statements, cpu_time() as cpu:
        result = await gql.execute(ATTACK, token=crowded.token)

    # then
    assert result.data is None
    assert _refusal(result.errors, ATTACK_COST) == {
        "code": "QUERY_TOO_COSTLY",
        "cost": ATTACK_COST,
        "budget": BUDGET,
    }
    assert cpu.seconds < REFUSED_WITHIN, f"refused in {cpu.seconds:.2f} CPU s"
    # Only the bearer token's user was read (before the operation): no customer, no activity.
    assert len(statements) == 1 and '"app_user"' in statements[0], statements


async def test_refusing_the_attack_again_and_again_holds_no_memory(gql: GraphQL, crowded: Account):
    # given: one refusal first, so that what is built once (caches, pools) is built
    await gql.execute(ATTACK, token=crowded.token)
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()

        # when
        for _ in range(20):
            result = await gql.execute(ATTACK, token=crowded.token)
            assert result.errors[0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
        # Each validation leaves cycles (graphql-core's visitors) for the collector: not kept.
        gc.collect()
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then: the attack itself took some 750 MB (measured: a peak of ~1.3 MB, ~0.25 MB kept,
    # names CPython's bounded method cache holds on to)
    assert peak - start < 4 * 1024 * 1024, f"peak {peak - start} bytes"
    assert end - start < 1024 * 1024, f"kept {end - start} bytes"


async def test_a_query_at_the_budget_runs_and_one_node_page_more_is_refused(
    gql: GraphQL, crowded: Account
):
    # given
    at_budget = {"a": 50, "b": 27, "c": 36}
    over = {"a": 50, "b": 27, "c": 37}

    # when
    response = await gql.http.post(
        "/graphql",
        json={"query": SHAPED, "variables": at_budget, "extensions": {"cost": True}},
        headers={"Authorization": f"Bearer {crowded.token}"},
    )
    refused = await gql.execute(SHAPED, over, crowded.token)

    # then
    body = response.json()
    assert "errors" not in body, body.get("errors")
    assert len(body["data"]["customers"]["edges"]) == 50
    assert body["extensions"] == {"cost": {"estimated": BUDGET, "budget": BUDGET}}
    assert _refusal(refused.errors, 51_350)["cost"] == 51_350


async def test_variables_fragments_aliases_and_nested_connections_are_counted(
    gql: GraphQL, workspace: Account
):
    # given / when
    response = await gql.http.post(
        "/graphql",
        json={"query": MIXED, "variables": {"recent": 5}, "extensions": {"cost": True}},
        headers={"Authorization": f"Bearer {workspace.token}"},
    )

    # then
    body = response.json()
    assert body["data"] == {"mine": {"edges": []}}
    assert body["extensions"]["cost"] == {"estimated": MIXED_COST, "budget": BUDGET}


async def test_the_cost_is_reported_only_when_asked(gql: GraphQL, workspace: Account):
    # given / when
    response = await gql.http.post(
        "/graphql",
        json={"query": MIXED, "variables": {"recent": 5}},
        headers={"Authorization": f"Bearer {workspace.token}"},
    )

    # then
    assert "extensions" not in response.json()


async def test_only_the_operation_asked_for_is_costed(gql: GraphQL, workspace: Account):
    # given: a document holding the attack and a cheap operation
    document = ATTACK + "query Cheap { customers(first: 1) { totalCount } }"

    # when
    response = await gql.http.post(
        "/graphql",
        json={"query": document, "operationName": "Cheap", "extensions": {"cost": True}},
        headers={"Authorization": f"Bearer {workspace.token}"},
    )

    # then
    body = response.json()
    assert body["data"] == {"customers": {"totalCount": 0}}
    assert body["extensions"]["cost"]["estimated"] == 1


async def test_a_costly_mutation_is_refused_before_it_writes(gql: GraphQL, workspace: Account):
    # given / when
    with count_queries() as statements:
        result = await gql.execute(COSTLY_MUTATION, token=workspace.token)

    # then
    assert result.data is None
    assert _refusal(result.errors, COSTLY_MUTATION_COST)["cost"] == COSTLY_MUTATION_COST
    assert len(statements) == 1 and '"app_user"' in statements[0], statements
    count = (await gql.execute(CUSTOMER_COUNT, token=workspace.token)).ok()
    assert count == {"customers": {"totalCount": 0}}


async def test_a_costly_subscription_is_refused_over_websocket(server: str, crowded: Account):
    async with signed_in_socket(server, crowded.token) as ws:
        # when
        with count_queries() as statements, cpu_time() as cpu:
            operation = await subscribe(ws, COSTLY_SUBSCRIPTION)
            message = await receive(ws)

    # then
    assert (message["id"], message["type"]) == (operation, "error"), message
    assert _refusal(message["payload"], COSTLY_SUBSCRIPTION_COST) == {
        "code": "QUERY_TOO_COSTLY",
        "cost": COSTLY_SUBSCRIPTION_COST,
        "budget": BUDGET,
    }
    assert cpu.seconds < REFUSED_WITHIN, f"refused in {cpu.seconds:.2f} CPU s"
    assert statements == [], statements
