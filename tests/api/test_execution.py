"""graphql-core is told that a Tortoise model is a plain value, not async work.

Tortoise gives models an `__await__` (`await customer` returns the customer), so
graphql-core's own check took every field returning one for a coroutine to schedule and
resume: the nested read of 50 customers spent half its time on that (bench/nested_read.py).
"""

import asyncio
import inspect

from api.schema import ExecutionContext, _is_awaitable, build_schema
from models import Customer


def test_a_model_is_a_plain_value_and_a_coroutine_is_still_awaited():
    # given
    customer = Customer(name="上海云帆科技有限公司")
    coroutine = asyncio.sleep(0)

    # then
    assert inspect.isawaitable(customer)  # what graphql-core's own check sees
    assert not _is_awaitable(customer)
    assert _is_awaitable(coroutine)
    assert not _is_awaitable("a string")
    coroutine.close()


def test_the_schema_executes_with_that_check():
    assert build_schema().execution_context_class is ExecutionContext
