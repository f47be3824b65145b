"""How a pooled customer's contact details read while they are masked
(`domain.visibility.masks_contact_details`: a REP, a customer in a pool that masks, until
they claim it).

- A phone keeps its first 3 and last 4 digits when it has 11 or more ("138****5678", a
  Chinese mobile; "021****1234", a Shanghai line), its last 4 when it has 8 to 10
  ("****1234"), and none when shorter ("****"): enough to recognise a number one already
  has, never enough to call it. Digits are read from the normalised phone (country code
  stripped, as search compares), else from the phone as written.
- An e-mail keeps the first character of its local part and its domain
  ("w****@example.com").

Every masked value holds "****", so it never passes for a real one; a missing value stays
null.
"""

from __future__ import annotations

STARS = "****"


def mask_phone(phone: str | None, normalized: str | None = None) -> str | None:
    if phone is None:
        return None
    digits = "".join(c for c in (normalized or phone) if c.isdigit())
    if len(digits) >= 11:
        return f"{digits[:3]}{STARS}{digits[-4:]}"
    if len(digits) >= 8:
        return f"{STARS}{digits[-4:]}"
    return STARS


def mask_email(email: str | None) -> str | None:
    if email is None:
        return None
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return STARS
    return f"{local[0]}{STARS}@{domain}"
