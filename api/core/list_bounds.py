"""How many objects a list field that is not paginated may return, declared next to the field.

Every list of objects in the schema is either a connection (paged by `first`/`last`) or
declares its bound in its field's metadata:

    @strawberry.field(metadata=at_most(MAX_LINE_ITEMS))
    async def line_items(self, info: Info) -> list[LineItem]: ...

The bound is the constant the rule that keeps the list short already uses (the domain's
refusal, or the loader's limit for a list that grows, such as a deal's stage history),
imported, never copied, so that the two cannot drift apart. The cost estimator
(`api.core.cost`) multiplies by it; `tests/api/test_list_bounds.py` walks the schema and
fails for a list of objects that is neither a connection nor bounded.
"""

from __future__ import annotations

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter

_BOUND = "crm.list_bound"

Composite = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType


def at_most(bound: int) -> dict[str, int]:
    """Field metadata: the list holds at most `bound` objects."""
    return {_BOUND: bound}


def declared_bound(field: GraphQLField) -> int | None:
    """The bound a field declared with `at_most`, if any."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    metadata = getattr(definition, "metadata", None) or {}
    bound = metadata.get(_BOUND)
    return bound if isinstance(bound, int) else None


def unwrap(field_type: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    """The named type under the non-null and list wrappers, and whether a list was among them."""
    listed = False
    while isinstance(field_type, GraphQLNonNull | GraphQLList):
        listed = listed or isinstance(field_type, GraphQLList)
        field_type = field_type.of_type
    return field_type, listed


def is_connection(named: GraphQLOutputType) -> bool:
    if not isinstance(named, GraphQLObjectType):
        return False
    fields = named.fields
    return "edges" in fields and "pageInfo" in fields


def unbounded_lists(schema: GraphQLSchema) -> list[str]:
    """`Type.field` of every list of objects that is neither paginated nor bounded."""
    found = []
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(
            named, GraphQLObjectType | GraphQLInterfaceType
        ):
            continue
        if is_connection(named):
            continue  # its `edges` are its page
        for field_name, field in named.fields.items():
            element, listed = unwrap(field.type)
            plain = listed and isinstance(element, Composite) and not is_connection(element)
            if plain and declared_bound(field) is None:
                found.append(f"{type_name}.{field_name}")
    return found
