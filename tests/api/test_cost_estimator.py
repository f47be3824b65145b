"""The cost estimator over parsed documents and the real schema: what each construct counts."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse

from api.core.cost import CostEstimator
from api.core.errors import MAX_USER_ERRORS
from api.core.pagination import DEFAULT_PAGE_SIZE
from api.schema import build_schema
from domain.opportunities import MAX_LINE_ITEMS
from domain.pipelines import MAX_CHECKLIST_ITEMS, MAX_PIPELINES, MAX_STAGES
from domain.stages import RECENT_STAGE_CHANGES

SCHEMA = build_schema()._schema
MAX_PAGE = 100


def _cost(document: str, variables: dict[str, Any] | None = None) -> int:
    parsed = parse(document)
    [operation] = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    estimator = CostEstimator(SCHEMA, parsed, variables, max_page_size=MAX_PAGE)
    return estimator.operation_cost(operation)


def _customers(first: str, inner: str = "id") -> str:
    return f"{{ customers{first} {{ edges {{ node {{ {inner} }} }} }} }}"


def test_scalars_and_single_objects_cost_nothing():
    assert _cost("{ viewer { name workspace { name } } }") == 0


def test_a_connection_counts_its_page():
    assert _cost(_customers("(first: 30)")) == 30


def test_a_connection_without_a_page_size_counts_the_default_page():
    assert _cost(_customers("")) == DEFAULT_PAGE_SIZE


def test_last_counts_like_first():
    assert _cost(_customers("(last: 7)")) == 7


def test_a_page_above_the_maximum_counts_the_maximum_it_could_read():
    # Such a page is refused (BAD_PAGINATION) before it is read.
    assert _cost(_customers("(first: 100000)")) == MAX_PAGE


def test_an_empty_page_costs_nothing_below_it():
    assert _cost(_customers("(first: 0)", "activities(first: 100) { totalCount }")) == 0


def test_page_sizes_multiply_down_the_nesting():
    # given: issue 9's attack
    document = _customers(
        "(first: 100)",
        "activities(first: 100) { edges { node { customer { activities(first: 100) "
        "{ edges { node { id } } } } } } }",
    )

    # when / then
    assert _cost(document) == 100 + 100 * 100 + 100 * 100 * 100


def test_siblings_add_up():
    inner = "contacts(first: 2) { totalCount } activities(first: 3) { totalCount }"
    assert _cost(_customers("(first: 10)", inner)) == 10 + 10 * 2 + 10 * 3


def test_a_list_that_is_not_paginated_counts_the_most_it_may_hold():
    # given: the workspace's pipelines, their stages, and each stage's checklist
    document = "{ pipelines { stages { checklist { title } } } }"

    # when / then
    pipelines = MAX_PIPELINES
    stages = pipelines * MAX_STAGES
    assert _cost(document) == pipelines + stages + stages * MAX_CHECKLIST_ITEMS


def test_a_deals_lines_count_as_many_as_a_deal_may_hold():
    document = "{ opportunities(first: 10) { edges { node { lineItems { name } } } } }"
    assert _cost(document) == 10 + 10 * MAX_LINE_ITEMS


def test_a_deals_stage_history_counts_the_entries_it_shows():
    # given: each entry's stages are single objects, their checklists lists again
    document = """
    { opportunities(first: 4) { edges { node {
        stageHistory { changedAt to { checklist { title } } }
    } } } }
    """

    # when / then
    history = 4 * RECENT_STAGE_CHANGES
    assert _cost(document) == 4 + history + history * MAX_CHECKLIST_ITEMS


def test_a_deals_whole_stage_history_is_a_connection():
    document = (
        "{ opportunities(first: 4) { edges { node { stageChanges(first: 30) { totalCount } } } } }"
    )
    assert _cost(document) == 4 + 4 * 30


def test_a_list_of_scalars_costs_nothing():
    assert _cost(_customers("(first: 5)", "tags")) == 5


def test_a_connections_edges_are_its_page_not_another_list():
    document = "{ customers(first: 5) { totalCount pageInfo { hasNextPage } edges { cursor } } }"
    assert _cost(document) == 5


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"n": 42}, 42),
        ({"n": 42.0}, 42),  # JSON has one number type; 42.0 is the Int 42
        ({"n": None}, DEFAULT_PAGE_SIZE),
        ({}, 9),  # the variable's default
        # Not an Int: the executor refuses it; the estimate counts the default page meanwhile.
        ({"n": "42"}, DEFAULT_PAGE_SIZE),
        ({"n": True}, DEFAULT_PAGE_SIZE),
    ],
)
def test_first_is_read_from_the_variables(variables: dict[str, Any], expected: int):
    document = "query($n: Int = 9) " + _customers("(first: $n)")
    assert _cost(document, variables) == expected


def test_a_variable_without_value_or_default_counts_the_default_page():
    assert _cost("query($n: Int) " + _customers("(first: $n)"), {}) == DEFAULT_PAGE_SIZE


def test_aliases_of_one_connection_count_each():
    document = "{ a: customers(first: 10) { totalCount } b: customers(first: 20) { totalCount } }"
    assert _cost(document) == 30


def test_a_field_selected_twice_under_one_name_is_read_once():
    document = (
        "{ customers(first: 10) { totalCount } customers(first: 10) { pageInfo { hasNextPage } } }"
    )
    assert _cost(document) == 10


def test_fragments_are_followed_and_merged_as_the_executor_merges_them():
    # given: the fragment spread twice, and an inline fragment beside it
    document = """
    { customers(first: 10) { edges { node {
        ...Parts ...Parts
        ... on Customer { opportunities(first: 4) { totalCount } }
    } } } }
    fragment Parts on Customer { contacts(first: 3) { edges { node { activities(first: 2) { totalCount } } } } }
    """

    # when / then
    assert _cost(document) == 10 + 10 * 3 + 10 * 3 * 2 + 10 * 4


def test_an_interface_counts_its_dearest_type():
    document = """
    query($id: ID!) { node(id: $id) {
        ... on Customer { activities(first: 50) { totalCount } }
        ... on Opportunity { activities(first: 80) { totalCount } }
        ... on Node { id }
    } }
    """
    assert _cost(document, {"id": "x"}) == 80


def test_skip_and_include_are_honoured_when_their_condition_is_known():
    document = """
    query($on: Boolean!, $off: Boolean!, $unknown: Boolean!) { customers(first: 10) { edges { node {
        a: contacts(first: 1) @include(if: $on) { totalCount }
        b: contacts(first: 2) @include(if: $off) { totalCount }
        c: contacts(first: 4) @skip(if: true) { totalCount }
        d: contacts(first: 8) @include(if: $unknown) { totalCount }
    } } } }
    """
    assert _cost(document, {"on": True, "off": False}) == 10 + 10 * 1 + 10 * 8


def test_mutations_count_their_selection():
    document = """
    mutation { createCustomer(input: {name: "x"}) {
        customer { activities(first: 30) { edges { node { id } } } }
        errors { message }
    } }
    """
    assert _cost(document) == 30 + MAX_USER_ERRORS


def test_subscriptions_count_their_selection():
    document = "subscription { reminderDue { customer { contacts(first: 6) { totalCount } } } }"
    assert _cost(document) == 6


def test_a_fragment_cycle_ends():
    # Validation refuses the cycle; the estimate, run beside it, must still end.
    document = """
    { customers(first: 2) { edges { node { ...A } } } }
    fragment A on Customer { activities(first: 3) { edges { node { customer { ...A } } } } }
    """
    # It goes round once (the spread's selection inside A is another one than the root's),
    # then meets a selection it is already costing, which counts nothing.
    assert _cost(document) == 2 + 2 * 3 + 2 * 3 * 3


class _CountingEstimator(CostEstimator):
    """Counts the selections it collects (the work of one object's cost, which the memo
    saves), and gives up past `WALK_LIMIT`: unmemoised, the walk below never ends."""

    WALK_LIMIT = 10_000
    collected = 0

    def _collect(self, *args: Any, **kwargs: Any) -> Any:
        self.collected += 1
        assert self.collected <= self.WALK_LIMIT, "the estimate walks every path"
        return super()._collect(*args, **kwargs)


def test_fragments_that_double_at_every_level_are_costed_in_a_moment():
    # given: 30 fragments, each spreading the next under two connections: 2^30 paths
    levels = 30
    fragments = "\n".join(
        f"fragment F{i} on Customer {{ "
        f"activities(first: 1) {{ edges {{ node {{ customer {{ ...F{i + 1} }} }} }} }} "
        f"contacts(first: 1) {{ edges {{ node {{ customer {{ ...F{i + 1} }} }} }} }} }}"
        for i in range(levels)
    )
    document = (
        "{ customers(first: 1) { edges { node { ...F0 } } } }\n"
        + fragments
        + f"\nfragment F{levels} on Customer {{ id }}"
    )
    parsed = parse(document)
    operation = parsed.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    estimator = _CountingEstimator(SCHEMA, parsed, None, max_page_size=MAX_PAGE)

    # when
    cost = estimator.operation_cost(operation)

    # then: 1 + 2 + 4 + … + 2^30 nodes, found without walking 2^30 paths: a few selections
    # collected a level (counted, where a bound of 0.1 s on the wall clock was the machine's)
    assert cost == 2 ** (levels + 1) - 1
    assert estimator.collected <= 10 * levels, estimator.collected
