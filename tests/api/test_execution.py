"""graphql-core is told that a Tortoise model is a plain value, not async work.

Tortoise gives models an `__await__` (`await customer` returns the customer), so
graphql-core's own check took every field returning one for a coroutine to schedule and
resume: the nested read of 50 customers spent half its time on that (bench/nested_read.py).
"""

import asyncio
import inspect

import pytest
from tortoise.models import Model

from api.schema import ExecutionContext, _is_awaitable, build_schema
from models import Customer
from tests.factories import create_contact, create_customer
from tests.helpers import Account, GraphQL

NESTED = """
{ customers { edges { node {
  name owner { name } contacts { edges { node { name customer { name } } } }
} } } }
"""


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


async def test_a_nested_read_never_awaits_a_model(
    gql: GraphQL, workspace: Account, monkeypatch: pytest.MonkeyPatch
):
    # given: a customer, its owner and a contact, each a model some field returns
    customer = (await create_customer(gql, workspace, name="上海云帆科技有限公司"))["id"]
    await create_contact(gql, workspace, customer, name="王芳")
    awaited: list[str] = []
    original = Model.__await__

    def spy(self: Model):
        awaited.append(type(self).__name__)
        return original(self)

    monkeypatch.setattr(Model, "__await__", spy)

    # when
    result = await gql.execute(NESTED, {}, workspace.token)

    # then
    node = result.ok()["customers"]["edges"][0]["node"]
    assert node["contacts"]["edges"][0]["node"]["customer"]["name"] == "上海云帆科技有限公司"
    assert node["owner"]["name"]
    assert awaited == []
