"""Passwords: the rule a new one must pass, and how they are hashed and checked.

The rule applies wherever a password is set (signUp, inviteUser, the seed); signing in
never applies it, so users whose passwords predate it still sign in.
"""

from __future__ import annotations

import asyncio
import gzip
import re
from collections.abc import Iterable
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from crm.settings import get_settings
from domain.errors import ErrorCode, Problems

MIN_PASSWORD_LENGTH = 10
# A password made of one short run said again and again ("aaaaaaaaaa", "abababababab",
# "123123123123") is guessed as soon as its run is; runs up to this length are refused.
_LONGEST_REPEATED_RUN = 3
# Django's UserAttributeSimilarityValidator's bound: at this SequenceMatcher ratio or above,
# a password is taken for a spelling of the user's name or e-mail.
_MAX_SIMILARITY = 0.7


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # Django's list (see domain/data/COMMON-PASSWORDS.md): read once, on the first check.
    data = resources.files("domain").joinpath("data", "common-passwords.txt.gz")
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)


def _is_short_run_repeated(password: str) -> bool:
    for run in range(1, _LONGEST_REPEATED_RUN + 1):
        if len(password) > run:
            repeated = password[:run] * (len(password) // run + 1)
            if repeated[: len(password)] == password:
                return True
    return False


def _too_long_to_resemble(password: str, value: str) -> bool:
    # Django's exceeds_maximum_length_ratio: a value ten times shorter than the password
    # cannot reach the similarity bound, so SequenceMatcher need not be asked.
    return len(password) >= 10 * len(value) and len(value) < _MAX_SIMILARITY / 2 * len(password)


def _resembles(password: str, personal: Iterable[str | None]) -> bool:
    """Whether the password is close to a personal value or one of its parts ("ada.lovelace",
    "ada", "lovelace", "example" for ada.lovelace@example.com)."""
    lowered = password.lower()
    for value in personal:
        if not value:
            continue
        value = value.lower()
        for part in {value, *re.split(r"\W+", value)}:
            if not part or _too_long_to_resemble(lowered, part):
                continue
            if SequenceMatcher(a=lowered, b=part).quick_ratio() >= _MAX_SIMILARITY:
                return True
    return False


def check_new_password(
    problems: Problems, field: str, password: str, *, personal: Iterable[str | None] = ()
) -> None:
    """Adds the first rule a new password breaks, if any.

    `personal`: what the password must not resemble (the user's name, e-mail, workspace).
    """
    if not password.strip():
        problems.add(field, "Must not be blank.", ErrorCode.REQUIRED)
    elif len(password) < MIN_PASSWORD_LENGTH:
        problems.add(field, f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    elif _is_short_run_repeated(password):
        problems.add(field, "Must not be one character, or a few, repeated.")
    elif password.lower().strip() in _common_passwords():
        problems.add(field, "This password is too common; choose another.")
    elif _resembles(password, personal):
        problems.add(field, "Too close to your name or e-mail; choose another.")


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    if get_settings().crm_env == "test":
        # The suite signs up hundreds of users; only there are the cheapest parameters fine.
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


async def hash_password(password: str) -> str:
    # Argon2 is deliberately slow (~0.2 s): off the event loop, so other requests go on.
    return await asyncio.to_thread(_hasher().hash, password)


async def password_matches(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher().verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    # Verified against when no account has the e-mail, so that a miss costs as long as a hit.
    return _hasher().hash("not-a-real-password")
