"""Global ids and instants as the API writes them, turned into what models and asserts use."""

from __future__ import annotations

from datetime import datetime

from api.core.ids import from_global_id, to_global_id


def pk(global_id: str) -> int:
    """The primary key behind a global id."""
    return from_global_id(global_id)[1]


def gid(type_name: str, primary_key: int) -> str:
    """The global id the API gives the record `type_name` #`primary_key`."""
    return to_global_id(type_name, primary_key)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def instant(value: str | None) -> datetime | None:
    """A DateTime the API returned, as an aware datetime (compare instants, not strings)."""
    return None if value is None else datetime.fromisoformat(value)
