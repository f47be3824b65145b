"""Cell text → dates and instants, in the forms people type and spreadsheets write.

"2026-03-05", "2026/3/5 14:30", "2026年3月5日 14点30分", "2026-03-05T06:30:00Z" and an
Excel serial day number (46086.6, what a date cell formatted as a number holds) are all
read. Whose clock a value without an offset is on, and what a date alone means, is
the one rule of `domain.local_time` (the importing user's zone, else the workspace's;
a date alone is 09:00), which the API follows too.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from domain.dates import EARLIEST_YEAR, LATEST_YEAR, in_range
from domain.local_time import LocalMoment, to_instant

_MOMENT = re.compile(
    r"(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:(?:\s*T\s*|\s+|(?<=日))"
    r"(?P<hour>\d{1,2})\s*[:时点]\s*(?P<minute>\d{1,2})\s*分?"
    r"(?:\s*:\s*(?P<second>\d{1,2})(?:[.,](?P<fraction>\d{1,6})\d*)?)?)?"
    r"\s*(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?"
)
# Excel counts days from 1899-12-30; this range is the years 1954 to 2173.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_HINT = "use 2026-03-05, 2026/3/5 14:30 or 2026年3月5日"


def _text(raw: str) -> str:
    # Full-width digits and colons (２０２６／３／５ １４：３０) are what Chinese keyboards type.
    return unicodedata.normalize("NFKC", raw).strip()


def _offset(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _wall_clock(text: str) -> tuple[datetime, bool, timezone | None] | None:
    """(naive date and time, whether a time was given, the offset given) or None."""
    if _SERIAL.fullmatch(text):
        moment = _EXCEL_EPOCH + timedelta(days=float(text))
        # Spreadsheet times are floats: round to the second they stand for.
        moment = (moment + timedelta(microseconds=500_000)).replace(microsecond=0)
        return moment, moment.time() != time(0), None
    found = _MOMENT.fullmatch(text)
    if found is None:
        return None
    parts = found.groupdict()
    timed = parts["hour"] is not None
    fraction = (parts["fraction"] or "").ljust(6, "0")
    moment = datetime(
        int(parts["year"]),
        int(parts["month"]),
        int(parts["day"]),
        int(parts["hour"] or 0),
        int(parts["minute"] or 0),
        int(parts["second"] or 0),
        int(fraction),
    )
    return moment, timed, _offset(parts["offset"])


def parse_instant(raw: str | None, zone: ZoneInfo) -> tuple[datetime | None, str | None]:
    """(the instant in UTC, None), or (None, message); a blank cell is (None, None).
    Without an offset the cell is on a clock in `zone` (`domain.local_time.to_instant`)."""
    if raw is None or not raw.strip():
        return None, None
    text = _text(raw)
    try:
        read = _wall_clock(text)
        if read is None:
            return None, f"“{text}” is not a date or time: {_HINT}."
        moment, timed, offset = read
        if offset is not None:
            moment = moment.replace(tzinfo=offset)
        # As written first (the years people typed), then as the instant it names.
        if not in_range(moment):
            return None, _outside(text)
        instant = to_instant(LocalMoment(moment, date_only=not timed), zone)
        if not in_range(instant):
            return None, _outside(text)
        return instant, None
    except (ValueError, OverflowError):
        return None, f"“{text}” is not a date or time: {_HINT}."


def parse_day(raw: str | None) -> tuple[date | None, str | None]:
    """(the calendar date, None), or (None, message); a time of day, if any, is ignored."""
    if raw is None or not raw.strip():
        return None, None
    text = _text(raw)
    try:
        read = _wall_clock(text)
    except (ValueError, OverflowError):
        read = None
    if read is None:
        return None, f"“{text}” is not a date: {_HINT}."
    if not in_range(read[0].date()):
        return None, _outside(text)
    return read[0].date(), None


def _outside(text: str) -> str:
    return f"“{text}” is not a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}."
