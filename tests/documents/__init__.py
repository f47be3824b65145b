"""The GraphQL documents tests share: one file per operation, named after it, loaded by name.

`document("createCustomer")` is the text of createCustomer.graphql, followed by the
fragments it spreads (fragments/<Name>.graphql, themselves spreading others). Each shared
document selects what the tests that use it read, and every payload's errors as field,
message and code. A test that is about a particular document (a malformed one, a chosen
selection, a cost) writes its own instead.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_FOLDER = Path(__file__).parent
_FRAGMENTS = _FOLDER / "fragments"
# `...Name`, not an inline fragment (`... on Type`, `... @include`).
_SPREAD = re.compile(r"\.\.\.\s*([A-Z]\w*)")


def _read(path: Path, what: str) -> str:
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.graphql"))
        raise LookupError(f"no shared {what} {path.stem!r}; there are: {', '.join(known)}")
    return path.read_text(encoding="utf-8")


@cache
def document(name: str) -> str:
    text = _read(_FOLDER / f"{name}.graphql", "document")
    added: list[str] = []
    pending = _SPREAD.findall(text)
    while pending:
        fragment = pending.pop()
        if fragment in added:
            continue
        added.append(fragment)
        body = _read(_FRAGMENTS / f"{fragment}.graphql", "fragment")
        pending.extend(_SPREAD.findall(body))
        text += "\n" + body
    return text
