"""`node(id:)` asks the type an id names how to load it: every node type says so beside its
fields (api/core/node.py), and a name that is no node type is simply null."""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType

from api.core.ids import to_global_id
from api.core.node import Node
from api.schema import build_schema
from tests.helpers import Account, GraphQL

SCHEMA = build_schema()

NODE = "query Node($id: ID!) { node(id: $id) { id __typename } }"


def _node_types() -> list[type[Node]]:
    found = []
    for named in SCHEMA._schema.type_map.values():
        if not isinstance(named, GraphQLObjectType):
            continue
        definition = SCHEMA.get_type_by_name(named.name)
        origin = getattr(definition, "origin", None)
        if isinstance(origin, type) and issubclass(origin, Node):
            found.append(origin)
    return found


def test_every_node_type_says_how_it_loads_itself():
    node_types = _node_types()
    assert len(node_types) >= 10  # the walk found the schema's nodes

    assert [t.__name__ for t in node_types if "load_node" not in vars(t)] == []


@pytest.mark.parametrize("type_name", ["Node", "Query", "UserError", "ImportRowError", "Nothing"])
async def test_an_id_of_what_is_no_node_type_is_null(
    gql: GraphQL, workspace: Account, type_name: str
):
    # given: an id of the right form whose type is not a node type
    global_id = to_global_id(type_name, 1)

    # when
    result = await gql.execute(NODE, {"id": global_id}, workspace.token)

    # then
    assert result.ok() == {"node": None}
