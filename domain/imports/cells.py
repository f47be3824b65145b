"""What every row applier does with a row's cells: keep those given, type custom fields,
and report a failed row's problems under the file's field names."""

from __future__ import annotations

from typing import Any

from domain.custom_fields import Definitions
from domain.errors import Problems
from domain.imports.customer_rows import ChunkResult, RowFailure, _typed_custom_value
from domain.imports.mapping import CUSTOM_FIELD_PREFIX, MATCH_FIELDS
from models.enums import CustomFieldEntity, ImportKind

# The prefix given to the API's shared checks (`clean_contact_fields(problems, ROW, …)`),
# stripped again from the paths they report.
ROW = "row"

Cells = dict[str, str | None]


def given(cells: Cells) -> dict[str, str]:
    """The cells that hold something: a blank cell is never a change."""
    return {name: value for name, value in cells.items() if value is not None}


def check_match_on(kind: ImportKind, match_on: list[str]) -> None:
    unknown = [name for name in match_on if name not in MATCH_FIELDS[kind]]
    if unknown:
        raise ValueError(
            f"Cannot match {kind.value.lower()} on {unknown}; use {MATCH_FIELDS[kind]}."
        )


def typed_custom_fields(
    problems: Problems,
    cells: dict[str, str],
    definitions: Definitions,
    entity: CustomFieldEntity,
) -> dict[str, Any]:
    """The `customFields.<key>` cells as the JSON values their definitions expect.

    `clean_custom_fields` checks them afterwards, exactly as for the API.
    """
    defined = definitions.of(entity)
    custom: dict[str, Any] = {}
    for name, text in cells.items():
        if name.startswith(CUSTOM_FIELD_PREFIX):
            key = name[len(CUSTOM_FIELD_PREFIX) :]
            definition = defined.get(key)
            value = _typed_custom_value(
                problems, name, definition.type if definition else None, text
            )
            if value is not None:
                custom[key] = value
    return custom


def field_of(path: str | None) -> str | None:
    if path is not None and path.startswith(f"{ROW}."):
        return path[len(ROW) + 1 :]
    return path


def fail(result: ChunkResult, number: int, problems: Problems) -> None:
    """Counts the row as failed, with each of its problems."""
    result.failed_rows.add(number)
    for problem in problems.items:
        result.failures.append(RowFailure(number, field_of(problem.field), problem.message))
