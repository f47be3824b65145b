"""Turning cell text into values that a CSV cannot type: tags, kinds, yes/no, amounts."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from domain.validation import parse_decimal
from models.enums import ActivityKind, CustomerKind

# ASCII and full-width commas and semicolons, and the enumeration comma 、 of Chinese text.
_TAG_SEPARATORS = re.compile(r"[,，;；、]")

_KINDS = {
    "企业": CustomerKind.COMPANY,
    "公司": CustomerKind.COMPANY,
    "企业客户": CustomerKind.COMPANY,
    "b2b": CustomerKind.COMPANY,
    "company": CustomerKind.COMPANY,
    "个人": CustomerKind.PERSON,
    "个人客户": CustomerKind.PERSON,
    "b2c": CustomerKind.PERSON,
    "person": CustomerKind.PERSON,
}


def split_tags(text: str | None) -> list[str]:
    """ "重点客户、VIP，SaaS" → ["重点客户", "VIP", "SaaS"]: trimmed, deduplicated, in order."""
    tags: list[str] = []
    for part in _TAG_SEPARATORS.split(text or ""):
        tag = part.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def parse_kind(text: str | None) -> tuple[CustomerKind | None, str | None]:
    """(kind, None), or (None, message) for a value that names no kind.

    A blank cell gives (None, None): the kind was not given, and the caller's default holds.
    """
    if text is None or not text.strip():
        return None, None
    kind = _KINDS.get(unicodedata.normalize("NFKC", text).strip().casefold())
    if kind is None:
        hint = "use 企业/公司/COMPANY or 个人/PERSON"
        return None, f"“{text.strip()}” is not a customer kind: {hint}."
    return kind, None


def _folded(text: str) -> str:
    """Text as compared with the words below: full-width folded, case-folded, no separators."""
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
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
    """(kind, None) for "电话", "拜访", "微信", "MEETING"…; (None, message) for an unknown one."""
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
    """(True/False, None) for yes/no words in English or Chinese; (None, message) otherwise."""
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
    cleaned = unicodedata.normalize("NFKC", text).strip().removesuffix("%").strip()
    try:
        number = parse_decimal(cleaned)
    except ValueError:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value():
        return None, f"“{text.strip()}” is not a whole percentage."
    return int(number), None
