"""Variables are weighed before graphql-core coerces them (api/core/input_size.py): a body
within the size limit can carry tens of thousands of input objects, each costing about
120 µs to coerce, whoever sends it."""

from __future__ import annotations

import pytest
from graphql import TypeInfo, ValidationContext, parse

from api.core.input_size import InputWeigher
from api.schema import build_schema
from crm.settings import get_settings
from tests.cpu import cpu_time
from tests.helpers import Account, GraphQL

CREATE = """
mutation($input: OpportunityInput!) {
  createOpportunity(input: $input) { opportunity { id } errors { field message code } }
}
"""
# Before the weighing, 55,000 line items (935 KB) took 6.6 s to answer "Sign in first".
ATTACK_LINES = 55_000
REFUSED_WITHIN = 1.0


def _opportunity(lines: int) -> dict:
    return {
        "input": {
            "customerId": "x",
            "name": "大单",
            "lineItems": [{"quantity": "1"} for _ in range(lines)],
        }
    }


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
async def test_a_body_of_input_objects_is_refused_before_it_is_coerced(
    gql: GraphQL, workspace: Account, signed_in: bool
):
    # given
    variables = _opportunity(ATTACK_LINES)

    # when
    with cpu_time() as cpu:
        result = await gql.execute(CREATE, variables, workspace.token if signed_in else None)

    # then
    assert result.data is None
    [error] = result.errors
    assert error["extensions"] == {"code": "INPUT_TOO_LARGE", "limit": 20_000}
    assert cpu.seconds < REFUSED_WITHIN, f"refused in {cpu.seconds:.2f} CPU s"


def _weight(query: str, variables: dict, limit: int = 10**9) -> int:
    schema = build_schema(get_settings())._schema
    document = parse(query)
    context = ValidationContext(schema, document, TypeInfo(schema), lambda _error: None)
    [operation] = document.definitions
    return InputWeigher(limit=limit).operation_weight(context, operation, variables)


def test_what_the_api_takes_at_its_largest_weighs_under_the_limit():
    limit = get_settings().max_input_weight
    rows = [{"客户名称": f"客户{i}", "电话": f"1380000{i:04d}"} for i in range(10_000)]
    import_rows = _weight(
        "mutation($input: StartImportInput!) { startImport(input: $input) { errors { code } } }",
        {"input": {"kind": "CUSTOMERS", "rows": rows}},
    )
    stages = [
        {
            "name": f"阶段{s}",
            "probability": 10,
            "checklist": [{"label": f"项{c}"} for c in range(30)],
        }
        for s in range(30)
    ]
    pipeline = _weight(
        "mutation($input: PipelineInput!) { createPipeline(input: $input) { errors { code } } }",
        {"input": {"name": "大客户", "stages": stages}},
    )
    deal = _weight(CREATE, _opportunity(200))

    assert (import_rows, deal) == (10_010, 2_210)
    assert pipeline == 10 + 30 * (1 + 10 + 30 * (1 + 10))
    assert max(import_rows, pipeline, deal) < limit


def test_the_weighing_stops_once_the_limit_is_passed():
    # given: a million line items, which the walk must not visit all of
    variables = _opportunity(1_000_000)

    # when
    weight = _weight(CREATE, variables, limit=20_000)

    # then: the weight is what the walk counted before it stopped (a full walk: 11,000,010),
    # a measure of its work that no machine's speed changes
    assert 20_000 < weight <= 20_000 + 11
