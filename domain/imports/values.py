"""Turning cell text into customer values that a CSV cannot type: tag lists and kinds."""

from __future__ import annotations

import re
import unicodedata

from models.enums import CustomerKind

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
