"""Custom fields: admins define them per entity; every write of a record validates its values.

A definition says what may live under one key of the `custom_fields` JSON of a
workspace's customers, contacts or opportunities. `clean_custom_fields` is the one
check every write path runs (API mutations, and imports when they arrive).

Deleting a definition, or removing a select option, leaves stored values alone:
they stay readable, but a write that sets that key again is refused (a write may
still clear it with null). Changing a field's type is refused: delete the field and
define it again.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import RawSQL
from tortoise.queryset import QuerySet

from domain.dates import OUT_OF_RANGE, in_range
from domain.errors import DomainError, ErrorCode, Problems, not_found
from domain.sql import is_postgres
from domain.validation import check_custom_fields, check_name, clean_text, strip_controls
from domain.viewer import Viewer
from models import CustomFieldDefinition
from models.enums import CustomFieldEntity, CustomFieldType, Role

KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TEXT_LIMIT = 2000
OPTION_LIMIT = 100
MAX_OPTIONS = 200
# Beyond 2**53 JavaScript clients lose digits, and SQLite's JSON turns integers into reals.
NUMBER_LIMIT = 10**15
# What the position column holds.
POSITION_LIMIT = 2**31
# More than any form shows; and `customFieldDefinitions` is a list read whole (the query
# cost counts MAX_DEFINITIONS, every entity's).
MAX_FIELDS_PER_ENTITY = 100
MAX_DEFINITIONS = MAX_FIELDS_PER_ENTITY * len(CustomFieldEntity)
CHOICE_TYPES = (CustomFieldType.SELECT, CustomFieldType.MULTI_SELECT)
_ENTITY_ORDER = {entity: index for index, entity in enumerate(CustomFieldEntity)}


@dataclass
class CustomFieldData:
    entity: CustomFieldEntity
    key: str
    label: str
    type: CustomFieldType
    options: list[str] | None = None
    required: bool = False
    # None: after the entity's last field.
    position: int | None = None


# ---------------------------------------------------------------- definitions


async def list_definitions(
    viewer: Viewer, entity: CustomFieldEntity | None = None
) -> list[CustomFieldDefinition]:
    """Every user may read them (clients render forms from them): by entity, position, id."""
    query = CustomFieldDefinition.filter(workspace_id=viewer.workspace_id)
    if entity is not None:
        query = query.filter(entity=entity)
    # No more than the bound, even for a workspace that defined more before it.
    most = MAX_DEFINITIONS if entity is None else MAX_FIELDS_PER_ENTITY
    rows = await query.order_by("position", "id").limit(most)
    return sorted(rows, key=lambda row: _ENTITY_ORDER[row.entity])


async def get_definition(viewer: Viewer, definition_id: int) -> CustomFieldDefinition:
    definition = await CustomFieldDefinition.get_or_none(
        id=definition_id, workspace_id=viewer.workspace_id
    )
    if definition is None:
        raise not_found("id", "Custom field")
    return definition


def _clean_option(option: str) -> str:
    return " ".join(strip_controls(option).split())


def _check_options(
    problems: Problems, path: str, field_type: CustomFieldType, options: list[str] | None
) -> list[str]:
    cleaned: list[str] = []
    for option in options or []:
        option = _clean_option(option)
        if not option:
            continue
        if len(option) > OPTION_LIMIT:
            problems.add(path, f"Option “{option[:20]}…” is longer than {OPTION_LIMIT} characters.")
            return []
        if option not in cleaned:
            cleaned.append(option)
    if field_type in CHOICE_TYPES:
        if not cleaned:
            problems.add(path, "A select field needs at least one option.", ErrorCode.REQUIRED)
        elif len(cleaned) > MAX_OPTIONS:
            problems.add(path, f"At most {MAX_OPTIONS} options.")
    elif cleaned:
        problems.add(path, "Only SELECT and MULTI_SELECT fields have options.")
    return cleaned


def _check_position(problems: Problems, path: str, position: int | None) -> None:
    if position is None:
        problems.add(path, "Must not be null.", ErrorCode.REQUIRED)
    elif not 0 <= position < POSITION_LIMIT:
        problems.add(path, "Must be zero or more.")


def _duplicate_key(key: str) -> DomainError:
    return DomainError.single(
        "input.key", f"This entity already has a custom field “{key}”.", ErrorCode.DUPLICATE
    )


async def define_custom_field(viewer: Viewer, data: CustomFieldData) -> CustomFieldDefinition:
    viewer.require_role(Role.ADMIN, "define custom fields")
    problems = Problems()
    key = (data.key or "").strip()
    if not key:
        problems.add("input.key", "Must not be blank.", ErrorCode.REQUIRED)
    elif not KEY.fullmatch(key):
        problems.add(
            "input.key",
            "A key is lower-case letters, digits and underscores, starting with a letter "
            "(at most 50 characters).",
        )
    label = check_name(problems, "input.label", data.label)
    options = _check_options(problems, "input.options", data.type, data.options)
    if data.position is not None:
        _check_position(problems, "input.position", data.position)
    same_entity = CustomFieldDefinition.filter(workspace_id=viewer.workspace_id, entity=data.entity)
    if KEY.fullmatch(key) and await same_entity.filter(key=key).exists():
        problems.add(
            "input.key", f"This entity already has a custom field “{key}”.", ErrorCode.DUPLICATE
        )
    if await same_entity.count() >= MAX_FIELDS_PER_ENTITY:
        problems.add(
            "input.entity",
            f"An entity has at most {MAX_FIELDS_PER_ENTITY} custom fields.",
            ErrorCode.CONFLICT,
        )
    problems.raise_if_any()
    position = data.position
    if position is None:
        last = await same_entity.order_by("-position").first()
        position = 0 if last is None else min(last.position + 1, POSITION_LIMIT - 1)
    try:
        return await CustomFieldDefinition.create(
            workspace_id=viewer.workspace_id,
            entity=data.entity,
            key=key,
            label=label,
            type=data.type,
            options=options,
            required=data.required,
            position=position,
        )
    except IntegrityError:
        raise _duplicate_key(key) from None


async def update_custom_field(
    viewer: Viewer, definition_id: int, changes: dict[str, Any]
) -> CustomFieldDefinition:
    """Changes label, options, required or position; the key, entity and type stay."""
    viewer.require_role(Role.ADMIN, "change custom fields")
    definition = await get_definition(viewer, definition_id)
    problems = Problems()
    updates: dict[str, Any] = {}
    if "type" in changes and changes["type"] is None:
        problems.add("input.type", "Must not be null.", ErrorCode.REQUIRED)
    elif "type" in changes and changes["type"] != definition.type:
        problems.add(
            "input.type",
            "A field's type cannot change: delete the field and define it again.",
            ErrorCode.CONFLICT,
        )
    if "label" in changes:
        updates["label"] = check_name(problems, "input.label", changes["label"])
    if "options" in changes:
        updates["options"] = _check_options(
            problems, "input.options", definition.type, changes["options"]
        )
    if "required" in changes:
        if changes["required"] is None:
            problems.add("input.required", "Must not be null.", ErrorCode.REQUIRED)
        else:
            updates["required"] = bool(changes["required"])
    if "position" in changes:
        _check_position(problems, "input.position", changes["position"])
        updates["position"] = changes["position"]
    problems.raise_if_any()
    if updates:
        definition.update_from_dict(updates)
        await definition.save(update_fields=list(updates))
    return definition


async def delete_custom_field(viewer: Viewer, definition_id: int) -> int:
    """Removes the definition; values stored under its key are left as they are."""
    viewer.require_role(Role.ADMIN, "delete custom fields")
    definition = await get_definition(viewer, definition_id)
    await definition.delete()
    return definition_id


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class Definitions:
    """A workspace's definitions, loaded once for a write that touches several records."""

    by_entity: dict[CustomFieldEntity, dict[str, CustomFieldDefinition]]

    def of(self, entity: CustomFieldEntity) -> dict[str, CustomFieldDefinition]:
        return self.by_entity.get(entity, {})


async def load_definitions(viewer: Viewer) -> Definitions:
    """Every entity's definitions of the viewer's workspace, in one query."""
    by_entity: dict[CustomFieldEntity, dict[str, CustomFieldDefinition]] = {}
    rows = await CustomFieldDefinition.filter(workspace_id=viewer.workspace_id).order_by(
        "position", "id"
    )
    for row in rows:
        by_entity.setdefault(CustomFieldEntity(row.entity), {})[row.key] = row
    return Definitions(by_entity)


@dataclass(frozen=True)
class Refused:
    """What a value check returns instead of a value: why the value is refused."""

    message: str


def _options_text(options: Iterable[str]) -> str:
    return ", ".join(f"“{option}”" for option in options)


def coerce_value(definition: CustomFieldDefinition, raw: Any) -> Any:
    """The value as stored, None for "no value" (null, "", []), or `Refused` saying why."""
    kind = definition.type
    if raw is None:
        return None
    if kind == CustomFieldType.TEXT:
        if not isinstance(raw, str):
            return Refused("Must be text.")
        text = clean_text(raw)
        if text is not None and len(text) > TEXT_LIMIT:
            return Refused(f"At most {TEXT_LIMIT} characters.")
        return text
    if kind == CustomFieldType.NUMBER:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return Refused("Must be a number.")
        if isinstance(raw, float) and not math.isfinite(raw):
            return Refused("Must be a finite number.")
        if abs(raw) >= NUMBER_LIMIT:
            return Refused("Is too large.")
        return raw
    if kind == CustomFieldType.DATE:
        if not isinstance(raw, str) or not _DATE.fullmatch(raw.strip()):
            return Refused("Must be a date as YYYY-MM-DD.")
        try:
            day = date.fromisoformat(raw.strip())
        except ValueError:
            return Refused(f"“{raw.strip()}” is not a date.")
        return day.isoformat() if in_range(day) else Refused(OUT_OF_RANGE)
    if kind == CustomFieldType.BOOLEAN:
        if not isinstance(raw, bool):
            return Refused("Must be true or false.")
        return raw
    options: list[str] = list(definition.options or [])
    if kind == CustomFieldType.SELECT:
        if not isinstance(raw, str):
            return Refused("Must be one of the options.")
        choice = _clean_option(raw)
        if not choice:
            return None
        if choice not in options:
            return Refused(f"“{choice}” is not one of {_options_text(options)}.")
        return choice
    # MULTI_SELECT: distinct options, kept in the order the definition lists them.
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        return Refused("Must be a list of options.")
    chosen = [_clean_option(item) for item in raw]
    chosen = [item for item in chosen if item]
    unknown = [item for item in chosen if item not in options]
    if unknown:
        return Refused(f"“{unknown[0]}” is not one of {_options_text(options)}.")
    if len(set(chosen)) != len(chosen):
        return Refused("Pick each option at most once.")
    return [option for option in options if option in chosen] or None


async def clean_custom_fields(
    problems: Problems,
    viewer: Viewer,
    entity: CustomFieldEntity,
    values: object,
    *,
    existing: dict | None,
    path: str,
    definitions: Definitions | None = None,
) -> dict:
    """The custom fields to store, checked against the workspace's definitions.

    `existing` is None when the record is being created, else its stored values: the
    keys given are then merged into them (a patch), and `values` None clears them all.
    A null value (or "", [] ) removes a key. Each problem is reported at
    f"{path}.{key}"; pass `definitions` when one write checks several records.
    """
    creating = existing is None
    stored = dict(existing or {})
    given: dict
    if values is None:
        given = {} if creating else dict.fromkeys(stored)
    else:
        found = len(problems.items)
        given = check_custom_fields(problems, path, values)  # an object, without NUL characters
        if len(problems.items) > found:
            return stored
    if definitions is None:
        definitions = await load_definitions(viewer)
    defined = definitions.of(entity)
    for key, raw in given.items():
        field_path = f"{path}.{key}"
        definition = defined.get(key)
        if definition is None:
            if raw is None and key in stored:
                del stored[key]  # left by a deleted definition: clearing it is allowed
            else:
                problems.add(field_path, f"There is no custom field “{key}” here.")
            continue
        value = coerce_value(definition, raw)
        if isinstance(value, Refused):
            problems.add(field_path, value.message)
        elif value is None:
            if definition.required:
                problems.add(field_path, f"“{definition.label}” is required.", ErrorCode.REQUIRED)
            stored.pop(key, None)
        else:
            stored[key] = value
    if creating:
        for key, definition in defined.items():
            if definition.required and key not in given:
                problems.add(
                    f"{path}.{key}", f"“{definition.label}” is required.", ErrorCode.REQUIRED
                )
    return stored


# ---------------------------------------------------------------- filtering


def _sql_text(value: str, postgres: bool) -> str:
    """A string literal. Only ever given defined options: cleaned text, no control characters."""
    quoted = value.replace("'", "''")
    if postgres:
        # An E'' literal means the same whatever standard_conforming_strings says.
        return "E'" + quoted.replace("\\", "\\\\") + "'"
    return f"'{quoted}'"


def _value_sql(column: str, key: str, kind: CustomFieldType, postgres: bool) -> str:
    """SQL for the stored value under `key` when it has the JSON type of `kind`, else NULL.

    `key` matched KEY, so it is safe inside the SQL text. Strings come out as text,
    numbers as numbers, booleans as 'true'/'false' (SQLite would give 1/0).
    """
    if postgres:
        item = f"{column}->'{key}'"
        json_type = {
            CustomFieldType.NUMBER: "'number'",
            CustomFieldType.BOOLEAN: "'boolean'",
        }.get(kind, "'string'")
        text = f"({column}->>'{key}')"
        if kind == CustomFieldType.NUMBER:
            text += "::numeric"
        return f"CASE WHEN jsonb_typeof({item}) = {json_type} THEN {text} END"
    json_type = f"json_type({column}, '$.{key}')"
    if kind == CustomFieldType.BOOLEAN:
        return f"CASE WHEN {json_type} IN ('true', 'false') THEN {json_type} END"
    json_types = "'integer', 'real'" if kind == CustomFieldType.NUMBER else "'text'"
    extract = f"json_extract({column}, '$.{key}')"
    return f"CASE WHEN {json_type} IN ({json_types}) THEN {extract} END"


def _contains_sql(column: str, key: str, option: str, postgres: bool) -> str:
    """SQL true when the list under `key` holds `option` (a defined option)."""
    literal = _sql_text(option, postgres)
    if postgres:
        return (
            f"CASE WHEN jsonb_typeof({column}->'{key}') = 'array' "
            f"AND {column}->'{key}' @> jsonb_build_array({literal}::text) THEN 1 ELSE 0 END"
        )
    return (
        f"CASE WHEN json_type({column}, '$.{key}') = 'array' AND EXISTS "
        f"(SELECT 1 FROM json_each({column}, '$.{key}') AS item WHERE item.value = {literal}) "
        "THEN 1 ELSE 0 END"
    )


async def filter_by_custom_field(
    query: QuerySet, viewer: Viewer, entity: CustomFieldEntity, key: str, value: Any
) -> QuerySet:
    """Records whose value under `key` equals `value` (a MULTI_SELECT: holds it).

    An undefined key, or a value the field could never hold, matches nothing.
    """
    nothing = query.filter(id=0)  # no row has id 0
    key = key.strip()
    if not KEY.fullmatch(key):
        return nothing
    definition = await CustomFieldDefinition.get_or_none(
        workspace_id=viewer.workspace_id, entity=entity, key=key
    )
    if definition is None:
        return nothing
    model = query.model
    postgres = is_postgres(model._meta.db)
    column = f'"{model._meta.db_table}"."custom_fields"'
    if definition.type == CustomFieldType.MULTI_SELECT:
        if not isinstance(value, str) or _clean_option(value) not in (definition.options or []):
            return nothing
        contains = RawSQL(_contains_sql(column, key, _clean_option(value), postgres))
        return query.annotate(_custom_field_match=contains).filter(_custom_field_match=1)
    wanted = coerce_value(definition, value)
    if wanted is None or isinstance(wanted, Refused):
        return nothing
    if definition.type == CustomFieldType.BOOLEAN:
        wanted = json.dumps(wanted)  # "true" / "false"
    stored = RawSQL(_value_sql(column, key, definition.type, postgres))
    return query.annotate(_custom_field_value=stored).filter(_custom_field_value=wanted)
