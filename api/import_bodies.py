"""JSON bodies over MAX_BODY_BYTES: taken from a signed-in caller, for startImport's rows only.

`startImport` takes up to MAX_ROWS_PER_CALL (10,000) JSON rows per call, which at a few
hundred bytes a row is megabytes: more than MAX_BODY_BYTES (1 MiB), the most any request
may send. A caller with a valid token may send up to MAX_IMPORT_BODY_BYTES, but the
bytes past MAX_BODY_BYTES must be those rows: the body holds one `startImport`, whose
`input` is a variable with at most MAX_ROWS_PER_CALL rows, and the rest of the request
fits MAX_BODY_BYTES. Anything else a large body could carry would cost in proportion
before any resolver runs (graphql-core coerces every item of a list variable in Python,
a million of them in seconds) and is no promise of the API.

The document is parsed here once more, with the token limit; only large bodies pay it.
"""

from __future__ import annotations

import json
from collections.abc import Collection

import orjson
from graphql import (
    DefinitionNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    parse,
)

from api.http_errors import RequestRefused
from domain.imports.jobs import MAX_ROWS_PER_CALL


def too_large(limit: int) -> RequestRefused:
    return RequestRefused(
        413, f"The request body is larger than the limit of {limit:,} bytes.", "PAYLOAD_TOO_LARGE"
    )


def refusal(
    request: object, *, max_body_bytes: int, max_query_tokens: int
) -> RequestRefused | None:
    """Why a decoded JSON body over `max_body_bytes` is refused, or None."""
    why = _why_not_rows(request, max_body_bytes, max_query_tokens)
    if why is None:
        return None
    return RequestRefused(
        413,
        f"A request body over {max_body_bytes:,} bytes is taken only for the rows of one "
        f"startImport, at most {MAX_ROWS_PER_CALL:,} of them, sent as a variable ({why}).",
        "PAYLOAD_TOO_LARGE",
    )


def _why_not_rows(request: object, max_body_bytes: int, max_query_tokens: int) -> str | None:
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        return "this body is no single GraphQL request"
    try:
        document = parse(request["query"], no_location=True, max_tokens=max_query_tokens)
    except GraphQLError:
        return "its query cannot be read"
    field = _only_root_field(document.definitions, request.get("operationName"))
    if field is None or field.name.value != "startImport":
        return "it is not one startImport mutation alone"
    argument = next((arg for arg in field.arguments or () if arg.name.value == "input"), None)
    if argument is None or not isinstance(argument.value, VariableNode):
        return "its input is not a variable"
    variables = request.get("variables")
    if not isinstance(variables, dict):
        variables = {}  # then it sends no rows
    name = argument.value.name.value
    input = variables.get(name)
    if not isinstance(input, dict) or not isinstance(input.get("rows"), list):
        return "it sends no rows"
    rows = input["rows"]
    if len(rows) > MAX_ROWS_PER_CALL:
        return f"it sends {len(rows):,} rows"
    rest = {**request, "variables": {**variables, name: {**input, "rows": None}}}
    if _encoded_size(rest) > max_body_bytes:
        return f"the rest of the request is over {max_body_bytes:,} bytes"
    return None


def _only_root_field(
    definitions: Collection[DefinitionNode], operation_name: object
) -> FieldNode | None:
    """The one field a mutation selects, if the request's operation is such a mutation."""
    operations = [
        definition
        for definition in definitions
        if isinstance(definition, OperationDefinitionNode)
        and (operation_name is None or _named(definition, operation_name))
    ]
    if len(operations) != 1 or operations[0].operation != OperationType.MUTATION:
        return None
    selections = operations[0].selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    return selections[0]


def _named(operation: OperationDefinitionNode, name: object) -> bool:
    return operation.name is not None and operation.name.value == name


def _encoded_size(value: object) -> int:
    try:
        return len(orjson.dumps(value))
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: json writes it
        return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
