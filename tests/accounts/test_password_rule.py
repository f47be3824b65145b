"""The rule for new passwords, as the domain applies it, and the passwords the project
itself hands out (README tour, `crm seed`, benches, this suite) passing it."""

import tracemalloc

import pytest

from domain.errors import Problems
from domain.passwords import check_new_password
from tests.cpu import cpu_time


def _refusal(password: str, *personal: str) -> tuple[str, str] | None:
    problems = Problems()
    check_new_password(problems, "password", password, personal=personal)
    if not problems.items:
        return None
    (problem,) = problems.items
    return problem.code, problem.message


@pytest.mark.parametrize(
    ("password", "personal"),
    [
        pytest.param("correct horse", ("Ada", "ada@example.com", "云帆科技"), id="readme-tour"),
        pytest.param("demo-password", ("Demo Admin", "demo@example.com"), id="crm-seed"),
        pytest.param("demo-password", ("刘洋 (Rep)", "rep.demo@example.com"), id="seed-rep"),
        pytest.param("bench-password", ("Bench", "bench@example.com"), id="benches"),
        pytest.param("correct horse battery", ("Ada 管理员", "admin-1a2b3c@example.com")),
        pytest.param("another horse battery", ("REP 同事", "rep-1a2b3c@example.com")),
        pytest.param("colleague password", ("同事", "invitee-1a2b3c@example.com")),
        pytest.param("rep password", ("Rep", "rep-1a2b3c@example.com")),
        pytest.param("long enough", ("N", "masked@example.com", "W")),
        pytest.param("ab12cd34ef", (), id="ten-mixed"),
    ],
)
def test_passwords_the_project_hands_out_pass(password: str, personal: tuple[str, ...]):
    assert _refusal(password, *personal) is None


def test_length_counts_characters_not_bytes():
    # Eight Chinese characters are 24 bytes of UTF-8, and still too short.
    assert _refusal("密码是长城和黄河") == ("INVALID", "Use at least 10 characters.")
    assert _refusal("密码是长城和黄河长江") is None


@pytest.mark.parametrize(
    ("password", "personal", "code", "says"),
    [
        ("12345678", (), "INVALID", "at least 10"),
        ("aaaaaaaa", (), "INVALID", "at least 10"),
        (" " * 8, (), "REQUIRED", "blank"),
        ("\t \n " * 4, (), "REQUIRED", "blank"),
        ("aaaaaaaaaaaaaaaa", (), "INVALID", "repeated"),
        ("123123123123", (), "INVALID", "repeated"),
        ("qwertyuiop", (), "INVALID", "common"),
        ("  QWERTYUIOP  ", (), "INVALID", "common"),
        ("ada.lovelace", ("Ada", "ada.lovelace@example.com"), "INVALID", "name or e-mail"),
        ("lovelace1815", ("Ada Lovelace", "ada@example.com"), "INVALID", "name or e-mail"),
    ],
)
def test_weak_passwords_are_refused_saying_why(
    password: str, personal: tuple[str, ...], code: str, says: str
):
    refusal = _refusal(password, *personal)
    assert refusal is not None
    assert refusal[0] == code
    assert says in refusal[1]


def test_a_huge_password_is_judged_quickly_and_in_little_memory():
    # given: a megabyte of password, and personal values to compare it with
    password = "x1" * 500_000 + "y"
    personal = ("Ada Lovelace", "ada.lovelace@example.com", "云帆科技")
    _refusal("warm the list up")

    # when
    tracemalloc.start()
    with cpu_time() as cpu:
        refusal = _refusal(password, *personal)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # then: a few copies of the text at most, no quadratic comparison (CPU seconds,
    # tests/cpu.py)
    assert refusal is None
    assert cpu.seconds < 0.5, cpu.seconds
    assert peak < 20 * 1024 * 1024
    print(f"1 MB password judged in {cpu.seconds * 1000:.1f} CPU ms, peak {peak / 1e6:.1f} MB")
