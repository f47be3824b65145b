"""domain/dates.py: the years a date may fall in, and strict ISO 8601 reading."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.dates import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    check_date,
    check_instant,
    in_range,
    parse_iso_date,
    parse_iso_instant,
)
from domain.errors import Problems
from domain.validation import parse_decimal

EAST_14 = timezone(timedelta(hours=14))
WEST_12 = timezone(timedelta(hours=-12))


def test_the_range_is_1900_to_2200():
    assert (EARLIEST_YEAR, LATEST_YEAR) == (1900, 2200)


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        (date(1900, 1, 1), True),
        (date(2200, 12, 31), True),
        (date(1899, 12, 31), False),
        (date(2201, 1, 1), False),
        (date.max, False),
        (date.min, False),
        (datetime(2200, 12, 31, 23, 59, tzinfo=UTC), True),
        (datetime(2200, 12, 31, 23, 0, tzinfo=WEST_12), False),  # 2201 in UTC
        (datetime(1900, 1, 1, 1, 0, tzinfo=EAST_14), False),  # 1899 in UTC
        (datetime.max.replace(tzinfo=UTC), False),
        (datetime.min.replace(tzinfo=UTC), False),
        (datetime(9999, 12, 31, 23, 59, tzinfo=WEST_12), False),  # would overflow to UTC
        (datetime(2030, 1, 6, 2, 0), True),  # naive: UTC
    ],
)
def test_in_range(value, allowed):
    assert in_range(value) is allowed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-06T02:00:00Z", datetime(2030, 1, 6, 2, tzinfo=UTC)),
        ("2030-01-06T10:00:00+08:00", datetime(2030, 1, 6, 2, tzinfo=UTC)),
        ("2030-01-06T10:00+0800", datetime(2030, 1, 6, 2, tzinfo=UTC)),
        ("2030-01-06 02:00:00.5Z", datetime(2030, 1, 6, 2, 0, 0, 500_000, tzinfo=UTC)),
        ("2030-01-06T02:00:00", datetime(2030, 1, 6, 2)),
        ("2030-01-06", datetime(2030, 1, 6)),
        ("20300106T020000Z", datetime(2030, 1, 6, 2, tzinfo=UTC)),
    ],
)
def test_iso_instants_are_read(text, expected):
    assert parse_iso_instant(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "T25:00",
        "2030-01-06T25:00",
        "2030-01-06T24:00",
        "2030-02-30T00:00Z",
        "2030",
        "2030-01",
        "2030-01-06X02:00",
        "2030-01-06T02:00 +08:00",
        " 2030-01-06",
        "２０３０-01-06",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
        "1899-12-31T23:59:59Z",
        "2201-01-01T00:00:00Z",
        "",
        "x" * 10_000,
    ],
)
def test_what_is_not_an_iso_instant_in_range_is_refused_with_a_reason(text):
    with pytest.raises(ValueError, match="“") as refused:
        parse_iso_instant(text)
    assert len(str(refused.value)) < 200  # a long probe is not echoed whole


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-30",
        "2024-13-01",
        "0000-01-01",
        "10000-01-01",
        "9999-12-31",
        "0001-01-01",
        "2024-1-1",
        "2024-W01-1",
        "2024-01-01T00:00",
        "",
    ],
)
def test_what_is_not_an_iso_date_in_range_is_refused(text):
    with pytest.raises(ValueError, match="“"):
        parse_iso_date(text)


def test_iso_dates_are_read():
    assert parse_iso_date("2030-01-06") == date(2030, 1, 6)
    assert parse_iso_date("20300106") == date(2030, 1, 6)


def test_checks_name_the_field_and_give_utc():
    problems = Problems()
    assert check_date(problems, "input.expectedCloseDate", date(9999, 12, 31)) is None
    assert check_instant(problems, "until", datetime(1, 1, 1)) is None
    assert check_instant(problems, "x", datetime(2030, 1, 6, 10, tzinfo=EAST_14)) == datetime(
        2030, 1, 5, 20, tzinfo=UTC
    )
    assert [p.field for p in problems.items] == ["input.expectedCloseDate", "until"]


@pytest.mark.parametrize(
    "text", ["0x10", "", " ", "NaN", "nan", "Infinity", "-inf", "1_000", " 1", "1e99999", "1" * 101]
)
def test_decimals_are_plain_numbers_only(text):
    with pytest.raises(ValueError, match="not a decimal number"):
        parse_decimal(text)
