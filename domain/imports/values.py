"""Turning cell text into values that a CSV cannot type: tags, kinds, yes/no, amounts,
dates and instants, in the forms people type and spreadsheets write ("2026/3/5 14:30",
"2026年3月5日 14点30分", "2026-03-05T06:30:00Z", and 46086.6: a date cell formatted as a number).

Each `parse_…` gives (value, None), or (None, message) for text that is no such value; a
blank cell gives (None, None): nothing was given, and the caller's default holds.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.dates import EARLIEST_YEAR, LATEST_YEAR, in_range
from domain.local_time import LocalMoment, to_instant
from domain.validation import parse_decimal
from models.enums import ActivityKind, CustomerKind

# ASCII and full-width commas and semicolons, and the enumeration comma 、 of Chinese text.
_TAG_SEPARATORS = re.compile(r"[,，;；、]")

_KINDS = {
    word: kind
    for kind, words in {
        CustomerKind.COMPANY: ("企业", "公司", "企业客户", "b2b", "company"),
        CustomerKind.PERSON: ("个人", "个人客户", "b2c", "person"),
    }.items()
    for word in words
}


def _normalized(text: str) -> str:
    # Full-width digits and colons (２０２６／３／５ １４：３０) are what Chinese keyboards type.
    return unicodedata.normalize("NFKC", text).strip()


def split_tags(text: str | None) -> list[str]:
    """ "重点客户、VIP，SaaS" → ["重点客户", "VIP", "SaaS"]: trimmed, deduplicated, in order."""
    tags: list[str] = []
    for part in _TAG_SEPARATORS.split(text or ""):
        tag = part.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def parse_kind(text: str | None) -> tuple[CustomerKind | None, str | None]:
    """ "企业", "公司", "B2C", "person"…"""
    if text is None or not text.strip():
        return None, None
    kind = _KINDS.get(_normalized(text).casefold())
    if kind is None:
        hint = "use 企业/公司/COMPANY or 个人/PERSON"
        return None, f"“{text.strip()}” is not a customer kind: {hint}."
    return kind, None


def _folded(text: str) -> str:
    folded = _normalized(text).casefold()
    return "".join(char for char in folded if char not in " -_")


_ACTIVITY_KINDS = {
    _folded(word): kind
    for kind, words in {
        ActivityKind.CALL: (
            "电话",
            "通话",
            "打电话",
            "来电",
            "去电",
            "call",
            "phone",
            "phone call",
        ),
        ActivityKind.VISIT: ("拜访", "上门", "上门拜访", "visit"),
        ActivityKind.MEETING: ("会议", "见面", "开会", "meeting"),
        ActivityKind.EMAIL: ("邮件", "电子邮件", "email"),
        ActivityKind.MESSAGE: ("微信", "短信", "消息", "message", "wechat", "sms"),
        ActivityKind.NOTE: ("备注", "笔记", "note"),
        ActivityKind.OTHER: ("其他", "其它", "other"),
    }.items()
    for word in words
}


def parse_activity_kind(text: str | None) -> tuple[ActivityKind | None, str | None]:
    """ "电话", "拜访", "微信", "Phone call", "MEETING"…"""
    if text is None or not text.strip():
        return None, None
    kind = _ACTIVITY_KINDS.get(_folded(text))
    if kind is None:
        hint = (
            "use 电话/拜访/会议/邮件/微信/备注/其他 or CALL/VISIT/MEETING/EMAIL/MESSAGE/NOTE/OTHER"
        )
        return None, f"“{text.strip()}” is not an activity kind: {hint}."
    return kind, None


_TRUE = {"true", "yes", "y", "1", "是", "对", "√"}
_FALSE = {"false", "no", "n", "0", "否", "不", "不是"}


def parse_yes_no(text: str | None) -> tuple[bool | None, str | None]:
    """Yes/no words in English or Chinese."""
    if text is None or not text.strip():
        return None, None
    word = _folded(text)
    if word in _TRUE:
        return True, None
    if word in _FALSE:
        return False, None
    return None, f"“{text.strip()}” is not yes or no (true/false, yes/no, 1/0, 是/否)."


# Currency signs and thousands separators people leave in amount cells.
_AMOUNT_NOISE = re.compile(r"[\s,¥$€£元]")


def parse_amount(text: str | None) -> tuple[Decimal | None, str | None]:
    """ "¥1,234.50" → Decimal("1234.50"); the API's money rules are checked after."""
    if text is None or not text.strip():
        return None, None
    cleaned = _AMOUNT_NOISE.sub("", unicodedata.normalize("NFKC", text))
    try:
        return parse_decimal(cleaned), None
    except ValueError:  # NaN, Infinity, 0x10 and 1_000 included
        return None, f"“{text.strip()}” is not an amount."


def parse_percentage(text: str | None) -> tuple[int | None, str | None]:
    """ "30" or "30%" → 30; the range (0 to 100) is the caller's rule."""
    if text is None or not text.strip():
        return None, None
    cleaned = _normalized(text).removesuffix("%").strip()
    try:
        number = parse_decimal(cleaned)
    except ValueError:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value():
        return None, f"“{text.strip()}” is not a whole percentage."
    return int(number), None


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


def _offset(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _wall_clock(text: str) -> tuple[datetime, bool, timezone | None]:
    """(naive date and time, whether a time was given, the offset given); raises ValueError
    for text that is none of the forms, as for one naming no date (2026-02-30)."""
    if _SERIAL.fullmatch(text):
        moment = _EXCEL_EPOCH + timedelta(days=float(text))
        # Spreadsheet times are floats: round to the second they stand for.
        moment = (moment + timedelta(microseconds=500_000)).replace(microsecond=0)
        return moment, moment.time() != time(0), None
    found = _MOMENT.fullmatch(text)
    if found is None:
        raise ValueError(text)
    parts = found.groupdict()
    timed = parts["hour"] is not None
    year, month, day, hour, minute, second = (
        int(parts[name] or 0) for name in ("year", "month", "day", "hour", "minute", "second")
    )
    microsecond = int((parts["fraction"] or "").ljust(6, "0"))
    moment = datetime(year, month, day, hour, minute, second, microsecond)
    return moment, timed, _offset(parts["offset"])


def parse_instant(raw: str | None, zone: ZoneInfo) -> tuple[datetime | None, str | None]:
    """The instant in UTC. Without an offset the cell is on a clock in `zone`, a date alone
    at 09:00: the API's rule too (`domain.local_time.to_instant`)."""
    if raw is None or not raw.strip():
        return None, None
    text = _normalized(raw)
    try:
        moment, timed, offset = _wall_clock(text)
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
    """The calendar date; a time of day, if any, is ignored."""
    if raw is None or not raw.strip():
        return None, None
    text = _normalized(raw)
    try:
        day = _wall_clock(text)[0].date()
    except (ValueError, OverflowError):
        return None, f"“{text}” is not a date: {_HINT}."
    if not in_range(day):
        return None, _outside(text)
    return day, None


def _outside(text: str) -> str:
    return f"“{text}” is not a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}."
