"""Pure rules: phone normalization and money arithmetic, on many inputs at once."""

from decimal import Decimal

import pytest

from domain.errors import ErrorCode, Problems
from domain.opportunities import line_total
from domain.validation import check_email, check_phone, check_tags, clean_text, normalize_phone


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 21 6888 1234", "02168881234"),
        ("021-6888-1234", "02168881234"),
        ("+86 10 8765 4321", "01087654321"),
        ("010-8765 4321", "01087654321"),
        ("+86 010 8765 4321", "01087654321"),
        ("+86 755 8888 1234", "075588881234"),
        ("0755-8888-1234", "075588881234"),
        ("+86 400 810 8888", "4008108888"),
        ("400-810-8888", "4008108888"),
        ("+86 95588", "95588"),
        ("+1 (415) 555-0100", "4155550100"),
        ("+14155550100", "4155550100"),
        ("415.555.0100", "4155550100"),
        ("", None),
        ("---", None),
    ],
)
def test_normalize_phone(raw: str, normalized: str | None):
    assert normalize_phone(raw) == normalized


def test_a_chinese_mobile_is_never_read_as_a_us_number():
    # 11 digits starting with 1, no "+": a Chinese mobile, kept whole.
    assert normalize_phone("14155550100") == "14155550100"


def test_full_width_digits_from_chinese_input_methods_are_understood():
    problems = Problems()
    assert check_phone(problems, "phone", "＋８６ １３８００１３８０００") == (
        "+86 13800138000",
        "13800138000",
    )
    assert problems.items == []


@pytest.mark.parametrize("raw", ["call me", "12", "+86 138 0013 8000 ext 5", "١٢٣٤٥٦"])
def test_check_phone_refuses_what_is_not_a_number(raw: str):
    problems = Problems()
    assert check_phone(problems, "input.phone", raw) == (None, None)
    assert problems.items[0].field == "input.phone"
    assert problems.items[0].code == ErrorCode.INVALID


def test_check_email_lowercases_and_refuses_garbage():
    problems = Problems()
    assert check_email(problems, "email", "  Wang.Wei@YunFan.CN ") == "wang.wei@yunfan.cn"
    assert check_email(problems, "email", "not-an-email") is None
    assert [p.field for p in problems.items] == ["email"]


def test_tags_are_trimmed_deduplicated_and_single_line():
    problems = Problems()
    assert check_tags(problems, "tags", [" 重点客户 ", "重点客户", "", "a\nb", "VIP"]) == [
        "重点客户",
        "a b",
        "VIP",
    ]
    assert problems.items == []


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("北京星辰科技", "北京星辰科技"),
        ("  plain  ", "plain"),
        ("a\x00b\x08c\x1bd\x7fe", "abcde"),
        ("line one\nline two\ttab", "line one\nline two\ttab"),
        ("no\u00a0break\u3000space", "no\u00a0break\u3000space"),
        ("\x00\x01", None),
    ],
)
def test_clean_text_drops_control_characters_only(raw: str, cleaned: str | None):
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138-0013-8000",
        "0086 13800138000",
        "＋８６ １３８００１３８０００",
        "(021) 6888-1234",
        "+1 415.555.0100",
    ],
)
def test_check_phone_normalizes_as_normalize_phone_does(raw: str):
    problems = Problems()
    typed, normalized = check_phone(problems, "phone", raw)
    assert problems.items == []
    assert normalized == normalize_phone(raw) == normalize_phone(typed)


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "total"),
    [
        ("3", "99.99", "10", "269.97"),
        ("1", "0.01", "50", "0.01"),  # half a cent rounds half up
        ("2.5", "12000", "0", "30000.00"),
        ("7", "3.33", "33.33", "15.54"),
        ("1", "100", "100", "0.00"),
    ],
)
def test_line_total_is_rounded_to_cents_half_up(quantity, price, discount, total):
    assert line_total(Decimal(quantity), Decimal(price), Decimal(discount)) == Decimal(total)
