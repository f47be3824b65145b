"""Whatever a client sends as variables to any mutation, the answer is never INTERNAL.

The mutations are read off the schema itself (a new one is covered without a word here),
and hypothesis makes each argument's variable: mostly of the argument's shape (so that the
values reach the domain: real ids of the workspace, dates, decimals and strings at and past
their bounds, NUL characters, unknown enum values, input objects missing a field or with one
too many), sometimes any JSON at all. Each is posted over HTTP, signed in, to the real app;
every error must carry a code other than INTERNAL, and nothing is logged at ERROR.

Bounded: a fixed number of examples per mutation, derandomized so that CI runs the same
ones every time (the whole file takes about a minute on SQLite).
"""

from __future__ import annotations

import datetime as dt
import logging
import string
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.core.ids import to_global_id
from api.schema import build_schema
from tests.helpers import Account, GraphQL

SCHEMA = build_schema()._schema
MUTATIONS = SCHEMA.mutation_type.fields
NODE_TYPES = sorted(t.name for t in SCHEMA.get_possible_types(SCHEMA.get_type("Node")))
EXAMPLES_PER_MUTATION = 20

SEED = """
mutation Seed {
  createCustomer(input: {name: "随机客户", contacts: [{name: "甲"}]}) {
    customer { id contacts(first: 5) { edges { node { id } } } }
    errors { message }
  }
}
"""
PIPELINES = "{ pipelines { id stages { id } } }"

# ---------------------------------------------------------------- values

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
EDGE_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "云帆\x00科技",
        "x" * 10_001,
        "𠜎" * 300,
        "a@b",
        "admin@example.com",
        "Robert'); DROP TABLE customer;--",
        "NaN",
        "Infinity",
        "-0",
        "1e400",
        "0x10",
        "1_000",
        "9" * 40,
        "2030-13-45",
        "9999-12-31",
        "0001-01-01",
        "2030-01-06T24:00",
        "Asia/Shanghai",
        "Mars/Olympus",
    ]
)
TEXT = st.text(max_size=40) | EDGE_STRINGS
INTS = st.integers(min_value=-(2**31), max_value=2**31 - 1) | st.sampled_from(
    [0, -1, 1, 100, 101, 1000, 1001, 10_001, 2**31 - 1, -(2**31)]
)
BIG_INTS = st.sampled_from([2**31, 2**63, 10**30, -(2**63)])
# Of the years a CRM date has (the scalars refuse others): these reach the domain.
DATES = st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)).map(str)
DATETIMES = st.datetimes(dt.datetime(1900, 1, 2), dt.datetime(2200, 12, 30)).map(
    lambda d: d.isoformat() + "Z"
)
DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str) | st.sampled_from(
    ["0", "-1", "0.0001", "99999999999999.99", "999999999999999.99", "1e3", "-0"]
)
# What no Date, DateTime or Decimal is, and a number no Int is.
WILD_SCALARS = (
    EDGE_STRINGS
    | BIG_INTS
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.datetimes().map(str)
)
SCALARS = {
    "String": TEXT,
    "Int": INTS,
    "Float": st.floats(allow_nan=False, allow_infinity=False) | INTS,
    "Boolean": st.booleans(),
    "Date": DATES,
    "DateTime": DATETIMES,
    "Decimal": DECIMALS | st.integers(min_value=-(10**12), max_value=10**12),
    "JSON": ANY_JSON,
}


def _ids(real: list[str]) -> st.SearchStrategy[str]:
    """Real ids of the workspace, ids of any type and number, and strings that are none."""
    forged = st.builds(
        to_global_id,
        st.sampled_from([*NODE_TYPES, "Workspace", "Nope"]),
        st.integers(min_value=-5, max_value=60) | BIG_INTS,
    )
    junk = st.text(alphabet=string.ascii_letters + string.digits + "=_-:", max_size=30)
    return (st.sampled_from(real) if real else st.nothing()) | forged | junk | EDGE_STRINGS


@dataclass(frozen=True)
class Values:
    """Variables for the arguments of the schema's types.

    Shaped (`wild=False`): of the argument's type, so that graphql-core lets them through to
    the resolver and the domain; their strings, numbers and ids are anything the type allows.
    Wild: at any depth a value may be null, of another type, any JSON; an input object may
    miss a required field or carry an unknown one; a required variable may be missing.
    """

    ids: st.SearchStrategy[str]
    wild: bool

    def variables(self, name: str) -> st.SearchStrategy[dict[str, Any]]:
        return self._fields(MUTATIONS[name].args, 0)

    def _fields(self, fields: dict[str, Any], depth: int) -> st.SearchStrategy[dict[str, Any]]:
        values = {name: self.value(field.type, depth + 1) for name, field in fields.items()}
        if self.wild:
            shaped = st.fixed_dictionaries({}, optional=values)
            extra = st.dictionaries(st.text(max_size=8), ANY_JSON, max_size=2)
            return shaped | st.builds(lambda a, b: {**b, **a}, shaped, extra)
        required = {n: v for n, v in values.items() if isinstance(fields[n].type, GraphQLNonNull)}
        optional = {n: v for n, v in values.items() if n not in required}
        return st.fixed_dictionaries(required, optional=optional)

    def value(self, type_: GraphQLInputType, depth: int) -> st.SearchStrategy[Any]:
        if isinstance(type_, GraphQLNonNull):
            shaped = self._shaped(type_.of_type, depth)
        else:
            shaped = st.none() | self._shaped(type_, depth)
        return shaped | ANY_JSON | WILD_SCALARS if self.wild else shaped

    def _shaped(self, type_: GraphQLInputType, depth: int) -> st.SearchStrategy[Any]:
        if depth > 6:
            return ANY_JSON
        if isinstance(type_, GraphQLList):
            return st.lists(self.value(type_.of_type, depth + 1), max_size=4)
        if isinstance(type_, GraphQLInputObjectType):
            return self._fields(type_.fields, depth)
        if isinstance(type_, GraphQLEnumType):
            known = st.sampled_from(sorted(type_.values))
            return known | TEXT if self.wild else known
        assert isinstance(type_, GraphQLScalarType), type_
        return self.ids if type_.name == "ID" else SCALARS.get(type_.name, ANY_JSON)


# ---------------------------------------------------------------- documents


def _selection(type_: GraphQLNamedType, depth: int) -> str:
    """The type's leaves, and its objects' leaves, that take no required argument."""
    if not isinstance(type_, GraphQLObjectType):
        return ""
    parts = ["__typename"]
    for name, field in type_.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            parts.append(name)
        elif (
            depth > 0
            and isinstance(inner, GraphQLObjectType)
            and not inner.name.endswith("Connection")
        ):
            parts.append(f"{name} {{ {_selection(inner, depth - 1)} }}")
    return " ".join(parts)


def _document(name: str) -> str:
    args = MUTATIONS[name].args
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in args.items())
    passed = ", ".join(f"{a}: ${a}" for a in args)
    selection = _selection(get_named_type(MUTATIONS[name].type), depth=1)
    return (
        f"mutation Random{f'({declared})' if declared else ''} "
        f"{{ {name}{f'({passed})' if passed else ''} {{ {selection} }} }}"
    )


# ---------------------------------------------------------------- the test


@pytest.fixture
async def real_ids(gql: GraphQL, workspace: Account) -> list[str]:
    seeded = (await gql.execute(SEED, token=workspace.token)).ok()["createCustomer"]
    customer = seeded["customer"]
    contacts = [edge["node"]["id"] for edge in customer["contacts"]["edges"]]
    pipelines = (await gql.execute(PIPELINES, token=workspace.token)).ok()["pipelines"]
    stages = [stage["id"] for pipeline in pipelines for stage in pipeline["stages"]]
    return [customer["id"], *contacts, *(p["id"] for p in pipelines), *stages]


async def _post(client: httpx.AsyncClient, token: str, query: str, variables: dict) -> dict:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code < 500, (response.status_code, response.text[:500])
    return response.json()


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@settings(
    max_examples=EXAMPLES_PER_MUTATION,
    deadline=None,
    derandomize=True,
    database=None,
    # The fixtures (the app's client, a workspace and its ids) serve every example alike.
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_random_variables_are_never_an_internal_error(
    client: httpx.AsyncClient,
    workspace: Account,
    real_ids: list[str],
    caplog: pytest.LogCaptureFixture,
    mutation: str,
    data: st.DataObject,
):
    # given
    caplog.set_level(logging.INFO)
    caplog.clear()
    values = Values(_ids(real_ids), wild=data.draw(st.booleans(), label="wild"))
    variables = data.draw(values.variables(mutation), label="variables")

    # when
    body = await _post(client, workspace.token, _document(mutation), variables)

    # then
    internal = [e for e in body.get("errors") or [] if e["extensions"]["code"] == "INTERNAL"]
    assert internal == [], internal
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged == [], logged
