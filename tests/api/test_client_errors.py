"""A client's mistake is answered with graphql-core's message and a code, whether the value
was sent as a variable (as web and mobile clients always do) or written in the query, and it
is logged at INFO at most: BAD_USER_INPUT for a bad variable, GRAPHQL_VALIDATION_FAILED for
a document the schema refuses, GRAPHQL_PARSE_FAILED for one that does not parse.

Before: each of these sent as a variable was {"message": "Unexpected error.", "code":
"INTERNAL"}, logged at ERROR with a traceback (graphql-core wraps the refusal in its own
error, and the schema took any error wrapping another for ours).
"""

from __future__ import annotations

import logging

import pytest

from tests.helpers import Account, GraphQL

# A reminder id no workspace has: every case is refused before a resolver would look.
SNOOZE = 'snoozeReminder(id: "UmVtaW5kZXI6MA", until: {until}) {{ errors {{ message }} }}'
PRODUCT = "createProduct(input: {input}) {{ errors {{ message }} }}"
API_KEY = 'createApiKey(name: "ERP", role: {role}) {{ errors {{ message }} }}'
STAGE = (
    'addStage(pipelineId: "UGlwZWxpbmU6MA", input: {{name: "谈判", probability: 10}}, '
    "position: {position}) {{ errors {{ message }} }}"
)

VALIDATION = "GRAPHQL_VALIDATION_FAILED"
# (field, argument, its type, the bad value as JSON, the same written in the query, the code
# for that (a scalar's own refusal keeps its BAD_USER_INPUT; any other mistake in the
# document is the validation's), what the message says)
CASES = [
    (SNOOZE, "until", "DateTime!", "2030-13-45", '"2030-13-45"', "BAD_USER_INPUT",
     "not a date and time"),
    (PRODUCT, "input", "ProductInput!", {"name": "笔", "unitPrice": "abc"},
     '{name: "笔", unitPrice: "abc"}', "BAD_USER_INPUT", "not a decimal number"),
    (API_KEY, "role", "Role!", "KING", "KING", VALIDATION,
     "Value 'KING' does not exist in 'Role' enum"),
    (STAGE, "position", "Int", "three", '"three"', VALIDATION,
     "Int cannot represent non-integer value"),
    (STAGE, "position", "Int", 2**40, str(2**40), VALIDATION, "non 32-bit signed integer"),
    (SNOOZE, "until", "DateTime!", None, "null", VALIDATION, "non-null type 'DateTime!'"),
    (PRODUCT, "input", "ProductInput!", {"name": "笔"}, '{name: "笔"}', VALIDATION,
     "to include required field 'unitPrice'"),
    (PRODUCT, "input", "ProductInput!", {"name": "笔", "unitPrice": "1", "colour": "红"},
     '{name: "笔", unitPrice: "1", colour: "红"}', VALIDATION,
     "not to include unknown field 'colour'"),
]  # fmt: skip
IDS = [
    "bad-datetime",
    "bad-decimal",
    "unknown-enum-value",
    "string-for-int",
    "int-past-32-bits",
    "null-required",
    "missing-input-field",
    "unknown-input-field",
]


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno > logging.INFO]


def _only_error(result) -> dict:
    assert result.data is None, result
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


@pytest.mark.parametrize(
    ("field", "argument", "type_", "value", "literal", "literal_code", "said"), CASES, ids=IDS
)
async def test_a_mistake_is_told_as_a_variable_and_written_in_the_query(
    gql: GraphQL,
    workspace: Account,
    caplog: pytest.LogCaptureFixture,
    field: str,
    argument: str,
    type_: str,
    value: object,
    literal: str,
    literal_code: str,
    said: str,
):
    # given
    caplog.set_level(logging.INFO)
    with_variable = f"mutation Bad($v: {type_}) {{ {field.format(**{argument: '$v'})} }}"
    written = f"mutation {{ {field.format(**{argument: literal})} }}"

    # when
    as_variable = _only_error(await gql.execute(with_variable, {"v": value}, workspace.token))
    inline = _only_error(await gql.execute(written, token=workspace.token))

    # then: graphql-core's message and a code, either way; logged as routine
    assert as_variable["extensions"] == {"code": "BAD_USER_INPUT"}, as_variable
    assert as_variable["message"].startswith("Variable '$v' has invalid value"), as_variable
    assert said in as_variable["message"], as_variable
    assert inline["extensions"] == {"code": literal_code}, inline
    assert said in inline["message"], inline
    assert inline["locations"], inline
    assert _errors_logged(caplog) == []


async def test_a_required_variable_not_sent_is_bad_user_input(
    gql: GraphQL, workspace: Account, caplog: pytest.LogCaptureFixture
):
    # given
    caplog.set_level(logging.INFO)
    query = f"mutation Snooze($until: DateTime!) {{ {SNOOZE.format(until='$until')} }}"

    # when
    result = await gql.execute(query, {}, workspace.token)

    # then
    error = _only_error(result)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "Variable '$until'" in error["message"]
    assert "to be provided" in error["message"]
    assert _errors_logged(caplog) == []


@pytest.mark.parametrize(
    ("query", "code", "said"),
    [
        ("mutation { createProduct { errors { message } } }", "GRAPHQL_VALIDATION_FAILED",
         "'ProductInput!' is required, but it was not provided"),
        ("{ viewer { salary } }", "GRAPHQL_VALIDATION_FAILED", "salary"),
        ("mutation Unused($n: Int) { __typename }", "GRAPHQL_VALIDATION_FAILED",
         "Variable '$n' is never used"),
        ("{ viewer { id ", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
        ("mutation { createProduct(input: {name: } }", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
    ],
    ids=["missing-argument", "unknown-field", "unused-variable", "unclosed", "missing-value"],
)  # fmt: skip
async def test_a_document_the_schema_refuses_says_which_phase(
    gql: GraphQL,
    workspace: Account,
    caplog: pytest.LogCaptureFixture,
    query: str,
    code: str,
    said: str,
):
    # given
    caplog.set_level(logging.INFO)

    # when
    result = await gql.execute(query, token=workspace.token)

    # then
    error = _only_error(result)
    assert error["extensions"] == {"code": code}, error
    assert said in error["message"], error
    assert _errors_logged(caplog) == []
