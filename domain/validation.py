"""Field-level rules shared by every write path (API mutations and imports alike)."""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import orjson

from domain.errors import ErrorCode, Problems

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_CHARS = re.compile(r"^\+?[0-9\s\-().]+$")
_NOT_DIGIT = re.compile(r"[^0-9]")


def _ascii_phone(raw: str) -> str:
    # Chinese input methods often type full-width digits (１３８…) and plus signs (＋).
    if raw.isascii():
        return raw.strip()  # NFKC leaves ASCII as it is
    return unicodedata.normalize("NFKC", raw).strip()


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def normalize_phone(raw: str | None) -> str | None:
    """The number as dialled within its country, digits only, for matching and search.

    "+86 138-0013-8000", "0086 13800138000" and "13800138000" all give
    "13800138000"; "+86 10 8765 4321" and "010-8765 4321" both give "01087654321";
    "+1 (415) 555-0100" gives "4155550100". A bare 11-digit number starting with 1 is
    a Chinese mobile number and is kept whole.
    """
    if raw is None:
        return None
    text = _ascii_phone(raw)
    return _national_number(text, _NOT_DIGIT.sub("", text))


def _national_number(text: str, digits: str) -> str | None:
    """`normalize_phone` of `text` as `_ascii_phone` gave it, whose digits are `digits`."""
    if not digits:
        return None
    international = text.startswith("+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    if international:
        if digits.startswith("86") and len(digits) >= 7:
            return _chinese_national(digits[2:])
        if digits.startswith("1") and len(digits) > 7:
            return digits[1:]
        return digits
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits


# Chinese numbers dialled without a trunk 0 at home: mobiles (11 digits, 1…) and the
# nationwide 400/800 service numbers.
_NO_TRUNK_PREFIXES = ("400", "800")


def _chinese_national(number: str) -> str:
    """A Chinese number after +86 as dialled in China: a landline's area code takes back
    the trunk 0 the international form drops (+86 10 … is 010 …)."""
    if number.startswith("0") or (len(number) == 11 and number.startswith("1")):
        return number
    if number.startswith(_NO_TRUNK_PREFIXES) or not 9 <= len(number) <= 11:
        return number  # a service or short number: no trunk 0 in either form
    return f"0{number}"


def phone_search_key(query: str) -> str | None:
    """What a search string must contain to be worth matching against normalized phones."""
    digits = normalize_phone(query)
    return digits if digits and len(digits) >= 3 else None


# C0 controls but tab and newline, and DEL: pasted garbage that no database should see
# (PostgreSQL refuses NUL in text outright).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def strip_controls(value: str) -> str:
    if value.isprintable():
        return value  # no control character at all: the common case, without a regex
    return _CONTROL_CHARACTERS.sub("", value)


# Half of a UTF-16 pair without its other half: JSON may spell one ("\ud800"), Python
# keeps it in a str, but it is no character. asyncpg cannot encode it (PostgreSQL would
# refuse it anyway) while SQLite stores it, so every door refuses it.
#
# One rule: a lone surrogate is what UTF-8 cannot encode. Text reaches us decoded from
# UTF-8 (or from UTF-16, which joins the halves of a pair), and json.loads joins an escaped
# pair into its character, so a surrogate left in a str has no other half; encoding finds
# it exactly, in C. Two checks apply the rule: one string (an import cell), and every key
# and string of a JSON value at once (a request body, without a walk in Python).
_SURROGATE = re.compile("[\ud800-\udfff]")
LONE_SURROGATE = "holds a lone UTF-16 surrogate (half of an escaped pair), which is not text"


def has_lone_surrogate(value: str) -> bool:
    """Whether UTF-8 cannot encode the string (a search, without encoding a copy)."""
    return first_lone_surrogate(value) is not None


def first_lone_surrogate(value: str) -> str | None:
    if value.isascii():
        return None
    found = _SURROGATE.search(value)
    return None if found is None else found.group()


def holds_lone_surrogate(value: object) -> bool:
    """Whether any key or string of a JSON value (dicts, lists, str, numbers) holds one.

    orjson writes UTF-8 and refuses a surrogate, a megabyte in a few milliseconds; it also
    refuses integers beyond 64 bits, which json.loads reads, so when it refuses, the json
    module's writer (slower, and writing any integer) decides.
    """
    try:
        orjson.dumps(value)
        return False
    except orjson.JSONEncodeError:
        pass
    try:
        json.dumps(value, ensure_ascii=False, check_circular=False).encode()
    except UnicodeEncodeError:
        return True
    return False


def surrogates_escaped(text: str) -> str:
    """The text with each surrogate written as its JSON escape (\\ud800), to show it."""
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def clean_text(value: str | None) -> str | None:
    """Text as stored: control characters dropped, surrounding blanks trimmed, "" as None."""
    if value is None:
        return None
    value = strip_controls(value).strip()
    return value or None


def check_name(problems: Problems, field: str, value: str | None, *, max_length: int = 200) -> str:
    name = clean_text(value)
    if not name:
        problems.add(field, "Must not be blank.", ErrorCode.REQUIRED)
        return ""
    if len(name) > max_length:
        problems.add(field, f"At most {max_length} characters.")
    return name


EMAIL_MAX_LENGTH = 254  # RFC 5321's, and the columns'


def check_email(problems: Problems, field: str, value: str | None) -> str | None:
    email = clean_text(value)
    if email is None:
        return None
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.match(email):
        problems.add(field, f"“{email}” is not a valid e-mail address.")
        return None
    return email.lower()


def check_phone(problems: Problems, field: str, value: str | None) -> tuple[str | None, str | None]:
    """Returns (phone as typed, normalized phone)."""
    phone = clean_text(value)
    if phone is None:
        return None, None
    if not phone.isascii():
        phone = _ascii_phone(phone)
    digits = _NOT_DIGIT.sub("", phone)
    # 40: what the phone columns hold, however many separators surround the digits.
    if len(phone) > 40 or not 5 <= len(digits) <= 20 or not _PHONE_CHARS.match(phone):
        problems.add(field, f"“{phone}” is not a valid phone number.")
        return None, None
    return phone, _national_number(phone, digits)


def check_optional(
    problems: Problems, field: str, value: str | None, max_length: int
) -> str | None:
    text = clean_text(value)
    if text is not None and len(text) > max_length:
        problems.add(field, f"At most {max_length} characters.")
    return text


def check_tags(problems: Problems, field: str, tags: list[str] | None) -> list[str]:
    cleaned: list[str] = []
    for tag in tags or []:
        tag = " ".join(strip_controls(tag).split())  # one line, single spaces: tags are labels
        if not tag:
            continue
        if len(tag) > 50:
            problems.add(field, f"Tag “{tag[:20]}…” is longer than 50 characters.")
        elif tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def check_timezone(problems: Problems, field: str, value: str | None, default: str) -> str:
    name = clean_text(value) or default
    if not _is_time_zone(name):
        problems.add(field, f"“{name}” is not an IANA time zone (e.g. Asia/Shanghai).")
        return default
    return name


def _is_time_zone(name: str) -> bool:
    # Known names first: ZoneInfo reads any other as a path under tzdata (a name of 300
    # characters was an OSError, "File name too long").
    if name != "UTC" and name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def check_currency(problems: Problems, field: str, value: str | None, default: str) -> str:
    code = (clean_text(value) or default).upper()
    if not _CURRENCY.match(code):
        problems.add(field, f"“{code}” is not a three-letter ISO 4217 currency code.")
        return default
    return code


def check_custom_fields(problems: Problems, field: str, value: object) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(field, "Must be an object of field keys to values.")
        return {}
    if _holds_nul(value):
        problems.add(field, "Must not contain NUL characters.")
        return {}
    return value


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


# A decimal as people and JSON write it: digits, one optional point, an optional exponent.
# Python's Decimal() would also take "NaN", "Infinity", "1_000" and surrounding blanks.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
# Longer than any amount, quantity or percentage: a probe, not a number to read.
DECIMAL_MAX_LENGTH = 100
# Digits before the point a decimal may have: amounts are stored with 16 and quantities
# with 12, and the domain refuses what lies between with the field's name ("Is too
# large"). Past it a number is no amount of anything, and rounding it as the columns
# store it needs more digits than Decimal's 28: "1e30" as a quantity raised
# InvalidOperation out of quantize (a masked INTERNAL).
DECIMAL_MAX_INTEGER_DIGITS = 20


def parse_decimal(text: str) -> Decimal:
    """A finite decimal of at most DECIMAL_MAX_INTEGER_DIGITS digits before the point, from
    its text; ValueError saying why otherwise."""
    shown = text if len(text) <= 40 else f"{text[:40]}…"
    if len(text) > DECIMAL_MAX_LENGTH or not _DECIMAL.fullmatch(text):
        raise ValueError(f"“{shown}” is not a decimal number (e.g. 1234.50).")
    number = Decimal(text)
    if not within_decimal_magnitude(number):
        raise ValueError(
            f"“{shown}” is too large: at most {DECIMAL_MAX_INTEGER_DIGITS} digits before the "
            "decimal point."
        )
    return number


def within_decimal_magnitude(number: Decimal) -> bool:
    """Whether a finite decimal has at most DECIMAL_MAX_INTEGER_DIGITS digits before the
    point (0E+50 is zero), so that the domain can round it as its columns store it."""
    return number.is_finite() and (
        number.is_zero() or number.adjusted() < DECIMAL_MAX_INTEGER_DIGITS
    )


# Digits before the point that the money columns hold: an amount or a total is
# DECIMAL(18, 2), a unit price (a product's, a line item's) DECIMAL(16, 2).
AMOUNT_INTEGER_DIGITS = 16
PRICE_INTEGER_DIGITS = 14
CENTS = Decimal("0.01")


def check_money(
    problems: Problems,
    field: str,
    value: Decimal | None,
    *,
    integer_digits: int = AMOUNT_INTEGER_DIGITS,
) -> Decimal | None:
    """A sum of money as its column stores it (to the cent), or None with a problem. Too
    large is judged once rounded, as stored: 99,999,999,999,999.999 is a 15-digit price."""
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        problems.add(field, "Must be a number.")
        return None
    if not amount.is_finite() or amount < 0:
        problems.add(field, "Must be zero or more.")
        return None
    bound = Decimal(10) ** integer_digits
    # Rounded only below the bound: quantize refuses what has more digits than its precision.
    if abs(amount) >= bound or abs(amount).quantize(CENTS) >= bound:
        problems.add(field, "Is too large.")
        return None
    # "-0" is zero: store and show it as 0.00 on every database.
    return abs(amount).quantize(CENTS)
