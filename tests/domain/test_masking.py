"""How a pooled customer's phone and e-mail read while masked."""

import pytest

from domain.masking import mask_email, mask_phone


@pytest.mark.parametrize(
    ("phone", "normalized", "masked"),
    [
        ("+86 138-0013-8000", "13800138000", "138****8000"),
        ("021-6888-1234", "02168881234", "021****1234"),
        ("6888 1234", "68881234", "****1234"),
        ("(555) 0123", None, "****"),
        ("ext. 12", None, "****"),
        (None, None, None),
    ],
)
def test_a_phone_keeps_at_most_its_first_3_and_last_4_digits(phone, normalized, masked):
    assert mask_phone(phone, normalized) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("buyer@example.cn", "b****@example.cn"),
        ("王@云帆.cn", "王****@云帆.cn"),
        ("not an address", "****"),
        (None, None),
    ],
)
def test_an_email_keeps_its_first_character_and_its_domain(email, masked):
    assert mask_email(email) == masked
