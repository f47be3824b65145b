"""Opaque global ids: base64url of "TypeName:primary key".

The type name is part of the id so that an id of one kind is never taken for
another; the workspace scope of every lookup is what keeps tenants apart.
"""

from __future__ import annotations

import base64
import binascii

from domain.errors import DomainError, not_found


def to_global_id(type_name: str, pk: int) -> str:
    raw = f"{type_name}:{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, int]:
    """Raises ValueError for anything that is not one of our ids."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        value = int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(global_id) from None
    if not type_name or value <= 0 or value >= 2**63:
        raise ValueError(global_id)
    return type_name, value


def decode_id(global_id: str, type_name: str, field: str | None, what: str | None = None) -> int:
    """The primary key behind an id of the expected type; otherwise a NOT_FOUND error at `field`.

    A malformed id, an id of another type and another workspace's id all read
    as "not found", so a caller learns nothing about what exists elsewhere.
    """
    try:
        found_type, pk = from_global_id(global_id)
    except ValueError:
        raise not_found(field, what or type_name) from None
    if found_type != type_name:
        raise not_found(field, what or type_name)
    return pk


def decode_optional_id(global_id: str | None, type_name: str, field: str) -> int | None:
    return None if global_id is None else decode_id(global_id, type_name, field)


def filter_id(global_id: str, type_name: str) -> int:
    """The primary key a list filter compares with: 0, which no row has, for a malformed or
    foreign id, so that such a filter matches nothing rather than fails."""
    try:
        return decode_id(global_id, type_name, None)
    except DomainError:
        return 0
