from __future__ import annotations

import pytest

from domain.imports.values import parse_kind, split_tags
from models.enums import CustomerKind


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
