"""Every list of objects in the schema is a connection or declares how many objects it may
hold, and that bound is the domain's own constant (api/core/list_bounds.py)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLObjectType

from api.core.errors import MAX_USER_ERRORS
from api.core.list_bounds import at_most, declared_bound, unbounded_lists, unwrap
from api.schema import build_schema
from domain import reports
from domain.custom_fields import MAX_DEFINITIONS
from domain.opportunities import MAX_LINE_ITEMS
from domain.pipelines import MAX_CHECKLIST_ITEMS, MAX_PIPELINES, MAX_STAGES
from domain.scoring.rules import COMPONENTS
from domain.stages import RECENT_STAGE_CHANGES

SCHEMA = build_schema()._schema

# Each plain list, and the rule that keeps it short.
BOUNDS = {
    "Query.pipelines": MAX_PIPELINES,
    "Query.customFieldDefinitions": MAX_DEFINITIONS,
    "Pipeline.stages": MAX_STAGES,
    "Stage.checklist": MAX_CHECKLIST_ITEMS,
    "Opportunity.lineItems": MAX_LINE_ITEMS,
    "Opportunity.checklist": MAX_CHECKLIST_ITEMS,
    "Opportunity.stageHistory": RECENT_STAGE_CHANGES,
    "Customer.scoreBreakdown": len(COMPONENTS),
    "PipelineReport.stages": MAX_STAGES,
    "PipelineReport.forecast": reports.MAX_FORECAST_MONTHS,
    "PipelineReport.owners": reports.MAX_REPORT_OWNERS,
}


def _bound(coordinate: str) -> int | None:
    type_name, field_name = coordinate.split(".")
    named = SCHEMA.get_type(type_name)
    assert isinstance(named, GraphQLObjectType), coordinate
    return declared_bound(named.fields[field_name])


def test_every_list_of_objects_is_a_connection_or_bounded():
    assert unbounded_lists(SCHEMA) == []


def test_each_bound_is_the_rule_that_keeps_the_list_short():
    declared = {coordinate: _bound(coordinate) for coordinate in BOUNDS}
    assert declared == BOUNDS


def test_every_payloads_errors_are_bounded():
    payloads = [
        name
        for name, named in SCHEMA.type_map.items()
        if isinstance(named, GraphQLObjectType)
        and "errors" in named.fields
        and unwrap(named.fields["errors"].type)[0].name == "UserError"
    ]
    assert len(payloads) > 10
    assert {name: _bound(f"{name}.errors") for name in payloads} == dict.fromkeys(
        payloads, MAX_USER_ERRORS
    )


@strawberry.type
class Item:
    name: str


@strawberry.type
class Probe:
    bounded: list[Item] = strawberry.field(metadata=at_most(3))
    unbounded: list[Item]
    names: list[str]


def test_a_list_without_a_bound_is_found():
    # given: a bounded list of objects, an unbounded one, and a list of scalars
    schema = strawberry.Schema(query=Probe)._schema

    # when / then
    assert unbounded_lists(schema) == ["Probe.unbounded"]
    assert declared_bound(schema.query_type.fields["bounded"]) == 3
