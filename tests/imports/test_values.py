from __future__ import annotations

from decimal import Decimal

import pytest

from domain.imports.values import (
    parse_activity_kind,
    parse_amount,
    parse_kind,
    parse_percentage,
    parse_yes_no,
    split_tags,
)
from models.enums import ActivityKind, CustomerKind


def test_split_tags_on_every_separator_trimmed_deduplicated_in_order():
    assert split_tags("重点客户、VIP，SaaS") == ["重点客户", "VIP", "SaaS"]
    assert split_tags(" a, b ;c；d、 a ,, ") == ["a", "b", "c", "d"]
    assert split_tags("") == []
    assert split_tags(None) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("企业", CustomerKind.COMPANY),
        ("公司", CustomerKind.COMPANY),
        ("B2B", CustomerKind.COMPANY),
        ("company", CustomerKind.COMPANY),
        (" COMPANY ", CustomerKind.COMPANY),
        ("个人", CustomerKind.PERSON),
        ("b2c", CustomerKind.PERSON),
        ("Person", CustomerKind.PERSON),
        ("ＰＥＲＳＯＮ", CustomerKind.PERSON),
    ],
)
def test_parse_kind(text, kind):
    assert parse_kind(text) == (kind, None)


def test_an_unknown_kind_is_an_error_message():
    kind, error = parse_kind("政府")

    assert kind is None
    assert error == "“政府” is not a customer kind: use 企业/公司/COMPANY or 个人/PERSON."


@pytest.mark.parametrize("text", [None, "", "  "])
def test_a_blank_kind_is_not_given(text):
    assert parse_kind(text) == (None, None)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("电话", ActivityKind.CALL),
        ("通话", ActivityKind.CALL),
        ("Phone Call", ActivityKind.CALL),
        ("拜访", ActivityKind.VISIT),
        ("上门", ActivityKind.VISIT),
        ("会议", ActivityKind.MEETING),
        ("见面", ActivityKind.MEETING),
        ("邮件", ActivityKind.EMAIL),
        ("E-mail", ActivityKind.EMAIL),
        ("微信", ActivityKind.MESSAGE),
        ("短信", ActivityKind.MESSAGE),
        ("消息", ActivityKind.MESSAGE),
        ("备注", ActivityKind.NOTE),
        ("OTHER", ActivityKind.OTHER),
    ],
)
def test_parse_activity_kind(text, kind):
    assert parse_activity_kind(text) == (kind, None)


def test_an_unknown_activity_kind_is_an_error_message():
    kind, error = parse_activity_kind("传真")

    assert kind is None
    assert error is not None and error.startswith("“传真” is not an activity kind")


@pytest.mark.parametrize(
    ("text", "value"),
    [("是", True), ("Yes", True), ("1", True), ("否", False), ("false", False), (None, None)],
)
def test_parse_yes_no(text, value):
    assert parse_yes_no(text) == (value, None)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("1234.5", "1234.5"), ("¥1,234.50", "1234.50"), ("￥ 12 000", "12000"), ("$3", "3")],
)
def test_parse_amount(text, amount):
    assert parse_amount(text) == (Decimal(amount), None)


@pytest.mark.parametrize(("text", "value"), [("30", 30), ("30%", 30), ("１００％", 100)])
def test_parse_percentage(text, value):
    assert parse_percentage(text) == (value, None)


@pytest.mark.parametrize("text", ["12.5", "abc%", "五十"])
def test_a_percentage_is_a_whole_number(text):
    assert parse_percentage(text) == (None, f"“{text}” is not a whole percentage.")


def test_what_is_not_an_amount_is_a_message():
    assert parse_amount("一百") == (None, "“一百” is not an amount.")
