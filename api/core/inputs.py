"""What a patch input (`XPatch`) changes, in the domain's terms."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import strawberry

from api.core.ids import decode_optional_id


def set_fields(patch: object) -> dict[str, Any]:
    """The fields a client actually sent in a patch (UNSET ones are left alone; null clears)."""
    return {name: value for name, value in vars(patch).items() if value is not strawberry.UNSET}


def changes_of(
    patch: object,
    *,
    ids: Mapping[str, tuple[str, str]] | None = None,
    enums: Mapping[str, type[Enum]] | None = None,
) -> dict[str, Any]:
    """`set_fields`, with the ids sent decoded (`ids`: field → (type name, input path);
    null clears) and the enum values sent as the models' enums (null stays null)."""
    changes = set_fields(patch)
    for name, (type_name, path) in (ids or {}).items():
        if name in changes:
            changes[name] = decode_optional_id(changes[name], type_name, path)
    for name, enum in (enums or {}).items():
        if changes.get(name) is not None:
            changes[name] = enum(changes[name].value)
    return changes
