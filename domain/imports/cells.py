"""What every row applier does with a row's cells: keep those given, type custom fields,
and report a failed row's problems under the file's field names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.custom_fields import Definitions
from domain.errors import ErrorCode, Problems
from domain.imports.headers import CUSTOM_FIELD_PREFIX
from domain.imports.values import parse_yes_no, split_tags
from domain.validation import within_decimal_magnitude
from models.enums import CustomFieldEntity, CustomFieldType

# The prefix given to the API's shared checks (`clean_contact_fields(problems, ROW, …)`),
# stripped again from the paths they report.
ROW = "row"

Cells = dict[str, str | None]


@dataclass(frozen=True)
class RowFailure:
    row: int
    field: str | None  # the canonical field ("phone", "contact.email", "customFields.x")
    message: str
    code: ErrorCode = ErrorCode.INVALID


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failures: list[RowFailure] = field(default_factory=list)  # one or more per failed row
    failed_rows: set[int] = field(default_factory=set)
    # match field → rows that matched a record by it (updated, or skipped by CREATE).
    matched_by: Counter[str] = field(default_factory=Counter)


def put(
    problems: Problems, values: dict[str, Any], name: str, column: str, read: tuple[Any, str | None]
) -> None:
    """Puts the value a parser `read` in the row's `name` cell in `values` as `column`, or
    its message among the row's problems."""
    value, message = read
    if message:
        problems.add(name, message)
    elif value is not None:
        values[column] = value


def given(cells: Cells) -> dict[str, str]:
    """The cells that hold something: a blank cell is never a change."""
    return {name: value for name, value in cells.items() if value is not None}


def typed_custom_fields(
    problems: Problems,
    cells: dict[str, str],
    definitions: Definitions,
    entity: CustomFieldEntity,
) -> dict[str, Any]:
    """The `customFields.<key>` cells as the JSON values their definitions' types expect
    (`clean_custom_fields` checks them afterwards, exactly as for the API)."""
    defined = definitions.of(entity)
    custom: dict[str, Any] = {}
    for name, text in cells.items():
        if not name.startswith(CUSTOM_FIELD_PREFIX):
            continue
        key = name[len(CUSTOM_FIELD_PREFIX) :]
        definition = defined.get(key)
        kind = definition.type if definition else None
        value: Any = text  # TEXT, SELECT, DATE (YYYY-MM-DD), or an undefined key refused later
        if kind == CustomFieldType.NUMBER:
            try:
                number = Decimal(text.replace(" ", ""))
            except InvalidOperation:
                problems.add(name, f"“{text}” is not a number.")
                continue
            if not number.is_finite():
                problems.add(name, "Must be a finite number.")
                continue
            if not within_decimal_magnitude(number):
                # int() of "1e9999999" would build a ten-million-digit integer (an hour).
                problems.add(name, "Is too large.")
                continue
            value = int(number) if number == number.to_integral_value() else float(number)
        elif kind == CustomFieldType.BOOLEAN:
            value, message = parse_yes_no(text)
            if message:
                problems.add(name, message)
        elif kind == CustomFieldType.MULTI_SELECT:
            value = split_tags(text)
        if value is not None:
            custom[key] = value
    return custom


def fail(result: ChunkResult, number: int, problems: Problems) -> None:
    """Counts the row as failed, with each of its problems."""
    result.failed_rows.add(number)
    for problem in problems.items:
        name = problem.field and problem.field.removeprefix(f"{ROW}.")
        result.failures.append(RowFailure(number, name, problem.message, problem.code))


def check_external_id(
    problems: Problems,
    external_id: str | None,
    target: object | None,
    by_external_id: dict[str, Any],
    record: str,
) -> None:
    """A row may not give `target` (None: the record it creates) an external id that
    another `record` of the workspace, or of the chunk, already has."""
    holder = by_external_id.get(external_id) if external_id is not None else None
    if holder is not None and holder is not target:
        problems.add(
            "externalId",
            f"Another {record} already has external id “{external_id}”.",
            ErrorCode.DUPLICATE,
        )
