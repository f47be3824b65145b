"""The Date, DateTime and Decimal scalars, read strictly (same names as Strawberry's).

DateTime input is read into a `domain.local_time.LocalMoment`: a time without an offset
is on the viewer's clock, which only the domain knows (see that module).

Strawberry's own read far more than clients mean (DateTime took "2030" and
"2030-01-06T24:00", Decimal took "NaN", "Infinity" and "1_000") and accepted years
no CRM date has (0001, 9999), which later broke reports. These read ISO 8601 dates
and instants and plain decimals only (in the years `domain.dates` allows; of a magnitude
the domain can round as it stores it, `domain.validation.parse_decimal`), and say
what is wrong as a client error with the code BAD_USER_INPUT: for a variable
graphql-core prefixes the variable and the path within it, for a literal in the
query the error points at it.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError, ValueNode, value_from_ast_untyped
from strawberry.types.scalar import ScalarDefinition

from api.core.errors import ClientError
from domain.dates import EARLIEST_YEAR, LATEST_YEAR, parse_iso_date
from domain.local_time import RULE, LocalMoment, parse_iso_moment
from domain.validation import DECIMAL_MAX_INTEGER_DIGITS, parse_decimal

BAD_USER_INPUT = "BAD_USER_INPUT"


def _text_parser(read: Callable[[str], Any], kind: str) -> Callable[[object], Any]:
    def parse_value(value: object) -> Any:
        if not isinstance(value, str):
            raise ClientError(f"A {kind} is sent as a string.", BAD_USER_INPUT)
        try:
            return read(value)
        except ValueError as error:
            raise ClientError(str(error), BAD_USER_INPUT) from None

    return parse_value


def _parse_decimal(value: object) -> decimal.Decimal:
    # JSON numbers are read through their text: 0.1 is 0.1, not the double nearest it.
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ClientError("A Decimal is sent as a string or a number.", BAD_USER_INPUT)
    try:
        return parse_decimal(value)
    except ValueError as error:
        raise ClientError(str(error), BAD_USER_INPUT) from None


def _literal_parser(parse_value: Callable[[object], Any]) -> Callable[..., Any]:
    """A literal in the query is read like a variable; its error points at the literal."""

    def parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
        try:
            return parse_value(value_from_ast_untyped(node, variables))
        except ClientError as error:
            raise GraphQLError(error.message, node, extensions=error.extensions) from None

    return parse_literal


def _scalar(
    name: str, description: str, serialize: Callable[[Any], Any], parse: Callable[[object], Any]
) -> ScalarDefinition:
    return strawberry.scalar(
        name=name,
        description=description,
        serialize=serialize,
        parse_value=parse,
        parse_literal=_literal_parser(parse),
    )


_YEARS = f"in the years {EARLIEST_YEAR} to {LATEST_YEAR}"
_parse_date = _text_parser(parse_iso_date, "Date")
_parse_datetime = _text_parser(parse_iso_moment, "DateTime")
# One scalar both ways: outputs are instants (datetime, written with their offset);
# inputs are read into a LocalMoment, which the domain resolves on the viewer's clock,
# as a scalar does not know who is asking. Input fields and arguments are typed
# LocalMoment for that reason (tests/api/test_local_moments.py walks the schema).
_DATETIME = _scalar(
    "DateTime",
    "A date and time, ISO 8601 (e.g. 2030-01-06T02:00:00Z, 2030-01-06T10:00:00+08:00, "
    f"2030-01-06T10:00:00 or 2030-01-06), {_YEARS}. With an offset or Z it is that instant, "
    f"exactly. {RULE} Returned values always carry their offset.",
    dt.datetime.isoformat,
    _parse_datetime,
)

# For the descriptions of DateTime inputs.
ON_VIEWERS_CLOCK = (
    "Without an offset it is on the viewer's clock, and a date alone is 09:00 (see DateTime)."
)

# For strawberry.Schema(scalar_overrides=…): the Python types the schema's fields use.
SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    dt.date: _scalar(
        "Date",
        f"A calendar date, ISO 8601 (YYYY-MM-DD), {_YEARS}.",
        dt.date.isoformat,
        _parse_date,
    ),
    dt.datetime: _DATETIME,
    LocalMoment: _DATETIME,
    decimal.Decimal: _scalar(
        "Decimal",
        'A decimal number, as a string ("1234.50") or a JSON number, of at most '
        f"{DECIMAL_MAX_INTEGER_DIGITS} digits before the point; NaN, Infinity and "
        "hexadecimal are refused.",
        str,
        _parse_decimal,
    ),
}
