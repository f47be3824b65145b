"""How much input an operation's variables carry, weighed before graphql-core coerces them.

graphql-core and Strawberry turn every input object of a variable into Python objects
before any resolver runs, whoever the caller is: some 120 µs an object here. A body within
MAX_BODY_BYTES can hold 55,000 line items (`{"quantity":"1"}` each), which took 6.6 s of
the event loop to coerce, only for the resolver to answer "Sign in first". So the
variables are weighed first, along the types the operation declares for them: an input
object weighs INPUT_OBJECT_WEIGHT, a list item 1, a scalar (a JSON value whole) nothing
more, and an operation whose variables weigh more than MAX_INPUT_WEIGHT (a setting) is
refused with `INPUT_TOO_LARGE`. The walk stops as soon as the weight passes the limit, so
refusing costs little whatever was sent.

Literal values in the document need no weighing: the token limit bounds them.

What the API takes at its largest fits: a startImport's 10,000 JSON rows weigh 10,000;
a deal with 200 line items 2,200; a pipeline of 30 stages of 30 checklist items 10,230.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLType,
    OperationDefinitionNode,
    ValidationContext,
    type_from_ast,
)

from api.core.errors import ClientError
from api.core.operation_checks import OperationCheck

INPUT_OBJECT_WEIGHT = 10


class _Heavy(Exception):
    """The weight passed the limit; nothing more needs weighing."""


class InputWeigher:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.weight = 0

    def _add(self, weight: int) -> None:
        self.weight += weight
        if self.weight > self.limit:
            raise _Heavy

    def weigh(self, input_type: GraphQLType, value: object) -> None:
        # Any type a document declares: validation refuses an output type, which weighs nothing.
        while isinstance(input_type, GraphQLNonNull):
            input_type = input_type.of_type
        if value is None:
            return
        if isinstance(input_type, GraphQLList):
            items = value if isinstance(value, list) else [value]  # one value coerces to a list
            for item in items:
                self._add(1)
                self.weigh(input_type.of_type, item)
        elif isinstance(input_type, GraphQLInputObjectType) and isinstance(value, Mapping):
            self._add(INPUT_OBJECT_WEIGHT)
            fields = input_type.fields
            for name, field_value in value.items():
                field = fields.get(name)
                if field is not None:  # an unknown field is refused by coercion, unweighed
                    self.weigh(field.type, field_value)

    def operation_weight(
        self, context: ValidationContext, operation: OperationDefinitionNode, variables: object
    ) -> int:
        """The operation's variables' weight, or a weight over the limit once it is passed."""
        values = variables if isinstance(variables, Mapping) else {}
        try:
            for definition in operation.variable_definitions or ():
                name = definition.variable.name.value
                if name not in values:
                    continue  # a default is a literal: bounded by the token limit
                input_type = type_from_ast(context.schema, definition.type)
                if input_type is not None:
                    self.weigh(input_type, values[name])
        except _Heavy:
            pass
        except RecursionError:  # nesting past the body's own limit cannot arrive; be sure
            self.weight = self.limit + 1
        return self.weight


class InputSizeLimiter(OperationCheck):
    """Refuses, at validation, an operation whose variables weigh more than the limit."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit

    def check_operation(
        self, context: ValidationContext, operation: OperationDefinitionNode
    ) -> None:
        variables = self.execution_context.variables
        weight = InputWeigher(self.limit).operation_weight(context, operation, variables)
        if weight > self.limit:
            context.report_error(
                ClientError(
                    f"The variables carry more input than one request may (a weight over "
                    f"{self.limit:,}: an input object counts {INPUT_OBJECT_WEIGHT}, a list "
                    "item 1); send fewer items per request.",
                    "INPUT_TOO_LARGE",
                    limit=self.limit,
                )
            )
