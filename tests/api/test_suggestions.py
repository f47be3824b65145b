"""Without introspection, variables are coerced without "Did you mean …?" too.

Over HTTP a variable's coercion error is masked today (see MaskUnexpectedErrors), so the
executor that coerces them is checked on its own, on the real schema.
"""

from __future__ import annotations

import pytest
from graphql import ExecutionResult, execute, parse

from api.schema import ExecutionContext, build_schema
from api.suggestions import hiding_suggestions

QUERY = "query($order: CustomerOrder) { customers(orderBy: $order) { totalCount } }"
TYPOS = [
    pytest.param({"field": "NAM"}, id="enum-value"),
    pytest.param({"feild": "NAME"}, id="input-field"),
]


def _messages(executor_class: type, order: dict) -> list[str]:
    result = execute(
        build_schema()._schema,
        parse(QUERY),
        variable_values={"order": order},
        executor_class=executor_class,
    )
    assert isinstance(result, ExecutionResult)
    assert result.errors
    return [error.message for error in result.errors]


@pytest.mark.parametrize("order", TYPOS)
def test_variables_are_coerced_without_suggestions(order: dict):
    messages = _messages(hiding_suggestions(ExecutionContext), order)

    assert not [message for message in messages if "Did you mean" in message], messages


@pytest.mark.parametrize("order", TYPOS)
def test_the_plain_executor_suggests(order: dict):
    # the control: what the typos above would otherwise tell
    messages = _messages(ExecutionContext, order)

    assert [message for message in messages if "Did you mean" in message], messages
