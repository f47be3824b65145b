"""Dates and times as people type them, read on the importer's clock (domain.local_time)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.imports.values import parse_day, parse_instant

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC_ZONE = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/3/5 14:30", datetime(2026, 3, 5, 6, 30, tzinfo=UTC)),
        ("2026-03-05 14:30:15", datetime(2026, 3, 5, 6, 30, 15, tzinfo=UTC)),
        ("2026-03-05 14:30:15.250000", datetime(2026, 3, 5, 6, 30, 15, 250000, tzinfo=UTC)),
        ("2026-03-05T14:30", datetime(2026, 3, 5, 6, 30, tzinfo=UTC)),
        # a date alone is 09:00 on the same clock
        ("2026-03-05", datetime(2026, 3, 5, 1, 0, tzinfo=UTC)),
        ("2026.3.5", datetime(2026, 3, 5, 1, 0, tzinfo=UTC)),
        ("2026年3月5日", datetime(2026, 3, 5, 1, 0, tzinfo=UTC)),
        ("2026年3月5日 14:30", datetime(2026, 3, 5, 6, 30, tzinfo=UTC)),
        ("2026年3月5日14点30分", datetime(2026, 3, 5, 6, 30, tzinfo=UTC)),
        ("２０２６／３／５ １４：３０", datetime(2026, 3, 5, 6, 30, tzinfo=UTC)),
        # an offset or Z is kept, whatever the workspace's zone
        ("2026-03-05T14:30:00Z", datetime(2026, 3, 5, 14, 30, tzinfo=UTC)),
        ("2026-03-05 14:30+01:00", datetime(2026, 3, 5, 13, 30, tzinfo=UTC)),
        # Excel's serial day number: 46086 is 2026-03-05, .75 is 18:00
        ("46086", datetime(2026, 3, 5, 1, 0, tzinfo=UTC)),
        ("46086.75", datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
    ],
)
def test_instants_in_shanghai(text, expected):
    assert parse_instant(text, SHANGHAI) == (expected, None)


def test_midnight_written_is_midnight_not_a_date_alone():
    assert parse_instant("2026-03-05 00:00", UTC_ZONE) == (datetime(2026, 3, 5, tzinfo=UTC), None)


@pytest.mark.parametrize("text", ["下周二", "2026-13-01", "2026-02-30 10:00", "3/5/2026", "25:00"])
def test_what_is_not_a_time_is_a_message(text):
    moment, message = parse_instant(text, UTC_ZONE)

    assert moment is None
    assert message is not None and text in message


@pytest.mark.parametrize("text", [None, "", "  "])
def test_a_blank_cell_is_no_value_and_no_problem(text):
    assert parse_instant(text, UTC_ZONE) == (None, None)
    assert parse_day(text) == (None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-31", date(2026, 3, 31)),
        ("2026/3/31", date(2026, 3, 31)),
        ("2026年3月31日", date(2026, 3, 31)),
        ("2026-03-31 00:00:00", date(2026, 3, 31)),
        ("46112", date(2026, 3, 31)),
    ],
)
def test_days(text, expected):
    assert parse_day(text) == (expected, None)


def test_what_is_not_a_day_is_a_message():
    assert parse_day("月底") == (
        None,
        "“月底” is not a date: use 2026-03-05, 2026/3/5 14:30 or 2026年3月5日.",
    )
