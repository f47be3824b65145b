"""Every DateTime the schema reads reaches the domain unresolved (a LocalMoment), so the
domain resolves each one on the viewer's clock (domain/local_time.py): an input typed
`datetime` would still get a LocalMoment from the shared scalar and fail as it is used."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from strawberry.types.base import StrawberryList, StrawberryOptional

from api.schema import build_schema
from domain.local_time import LocalMoment

SCHEMA = build_schema()._schema
BACKREF = "strawberry-definition"
# Each DateTime the API reads, by schema coordinate.
EXPECTED = {
    "ActivityInput.occurredAt",
    "ActivityInput.nextFollowUpAt",
    "CustomerFilter.followUpDueBefore",
    "CustomerFilter.updatedSince",
    "ReminderFilter.dueBefore",
    "Mutation.snoozeReminder(until:)",
    "Query.pipelineReport(from:)",
    "Query.pipelineReport(to:)",
}


def _is_datetime(graphql_type: Any) -> bool:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLScalarType) and graphql_type.name == "DateTime"


def _python_type(entry: GraphQLArgument | GraphQLInputField) -> Any:
    annotation = entry.extensions[BACKREF].type
    while isinstance(annotation, StrawberryOptional | StrawberryList):
        annotation = annotation.of_type
    return annotation


def _datetime_inputs() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, named in SCHEMA.type_map.items():
        if isinstance(named, GraphQLInputObjectType):
            for field_name, field in named.fields.items():
                if _is_datetime(field.type):
                    found[f"{name}.{field_name}"] = _python_type(field)
        elif isinstance(named, GraphQLObjectType) and not name.startswith("__"):
            for field_name, field in named.fields.items():
                for arg_name, arg in field.args.items():
                    if _is_datetime(arg.type):
                        found[f"{name}.{field_name}({arg_name}:)"] = _python_type(arg)
    return found


def test_every_datetime_input_is_read_as_a_local_moment():
    found = _datetime_inputs()

    assert set(found) == EXPECTED
    assert {coordinate: LocalMoment for coordinate in found} == found


def test_datetime_inputs_say_whose_clock_they_are_on():
    scalar = SCHEMA.get_type("DateTime")
    assert "viewer's clock" in (scalar.description or "")
    assert "09:00" in (scalar.description or "")
    for coordinate in EXPECTED:
        type_name, rest = coordinate.split(".")
        named = SCHEMA.get_type(type_name)
        if "(" in rest:
            field_name, arg = rest.rstrip(":)").split("(")
            description = named.fields[field_name].args[arg].description
        else:
            description = named.fields[rest].description
        assert "viewer's clock" in (description or ""), coordinate
