"""The years a date or instant may fall in, and strict ISO 8601 reading of them.

A CRM's dates are close dates, follow-ups and activities: nothing before 1900 or
after 2200 is real. Such values are typing slips or probes, and they cost: asyncpg
stores `date.max` (9999-12-31) as PostgreSQL's 'infinity', which `to_char` turns into
NULL and date arithmetic refuses outright, and a datetime near the edges overflows
when moved to another offset. Every door (GraphQL scalars, custom-field values,
import cells, domain writes) refuses them with these bounds; reports ignore any
such value already stored (see `domain.reports`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from domain.errors import Problems

EARLIEST_YEAR = 1900
LATEST_YEAR = 2200
# Bounds for SQL: an instant is plausible when EARLIEST_INSTANT <= it < END_OF_RANGE.
EARLIEST_INSTANT = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
END_OF_RANGE = datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC)
EARLIEST_DATE = date(EARLIEST_YEAR, 1, 1)
LATEST_DATE = date(LATEST_YEAR, 12, 31)
OUT_OF_RANGE = f"Must fall between the years {EARLIEST_YEAR} and {LATEST_YEAR}."


def _outside(text: str) -> str:
    return f"“{text}” is outside the years {EARLIEST_YEAR} to {LATEST_YEAR}."


# ISO 8601 as clients write it: a calendar date (extended or basic), then optionally a
# time after "T" or a space (RFC 3339 allows the space) and an offset. Python's
# fromisoformat alone would also take any character between date and time.
_DATE = r"\d{4}-\d{2}-\d{2}|\d{8}"
_TIME = r"\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d{1,9})?)?)?"
_OFFSET = r"Z|[+-]\d{2}(?::?\d{2})?"
_ISO_DATE = re.compile(_DATE, re.ASCII)
_ISO_INSTANT = re.compile(rf"(?:{_DATE})(?:[T ](?:{_TIME})(?:{_OFFSET})?)?", re.ASCII)


def as_utc(moment: datetime) -> datetime:
    """An instant without an offset is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def in_range(value: date | datetime) -> bool:
    """Whether a date, or an instant (in UTC and as written), falls in the years allowed."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return False
    if isinstance(value, datetime):
        # Within the years as written, so moving it to UTC cannot overflow.
        return EARLIEST_YEAR <= as_utc(value).year <= LATEST_YEAR
    return True


def parse_iso_date(text: str) -> date:
    """A calendar date as YYYY-MM-DD (or YYYYMMDD); ValueError saying why otherwise."""
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"“{_shown(text)}” is not a date as YYYY-MM-DD.")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a date in the calendar.") from None
    if not in_range(day):
        raise ValueError(_outside(text))
    return day


def parse_iso_instant(text: str) -> datetime:
    """An ISO 8601 date and time, with or without an offset (naive without: whose clock it
    is on, `domain.local_time` decides); ValueError saying why otherwise."""
    if not _ISO_INSTANT.fullmatch(text):
        raise ValueError(
            f"“{_shown(text)}” is not an ISO 8601 date and time (e.g. 2030-01-06T02:00:00Z)."
        )
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a date and time in the calendar.") from None
    if not in_range(moment):
        raise ValueError(_outside(text))
    return moment


def is_date_alone(text: str) -> bool:
    """Whether ISO 8601 text is a calendar date with no time of day."""
    return _ISO_DATE.fullmatch(text) is not None


def check_date(problems: Problems, field: str, value: date | None) -> date | None:
    if value is not None and not in_range(value):
        problems.add(field, OUT_OF_RANGE)
        return None
    return value


def check_instant(problems: Problems, field: str, value: datetime | None) -> datetime | None:
    """The instant in UTC, or None (a problem added) when it is outside the years allowed."""
    if value is None:
        return None
    if not in_range(value):
        problems.add(field, OUT_OF_RANGE)
        return None
    return as_utc(value)


def _shown(text: str) -> str:
    # Whatever a client sent is quoted back, but not at any length.
    return text if len(text) <= 40 else f"{text[:40]}…"
