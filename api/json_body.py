"""JSON as a client sends it (a request body, a WebSocket message), read strictly.

What is refused, and why:
- bytes that are not UTF-8 (GraphQL over HTTP is UTF-8; a UTF-8 BOM is skipped);
- nesting deeper than MAX_DEPTH: no request of this API nests more than a few levels, and
  Python's parser (and whatever walks the value afterwards) recurses per level, so a body
  of 1,000 brackets ended in a RecursionError and a 500;
- a lone UTF-16 surrogate ("\\ud800" without its pair) anywhere, key or value: it is no
  character, PostgreSQL cannot encode it and SQLite would store it. The error names where
  it is (`variables.input.name`), as a user error names its field.

NaN and Infinity, which JSON has not, are still read as Python reads them: the domain
refuses them where they would be stored, naming the field (a custom field's number).

Each refusal is an `UnreadableJSON`, a JSONDecodeError: Strawberry's WebSocket handlers
answer those as the invalid messages they are (close 4400), and the HTTP view turns its
message into a 400.
"""

from __future__ import annotations

import gc
import json
import re
from typing import NoReturn, cast

from domain.validation import (
    first_lone_surrogate,
    has_lone_surrogate,
    holds_lone_surrogate,
    surrogates_escaped,
)

# Levels of objects and arrays: {"variables": {"input": {"rows": [{…}]}}} is four.
MAX_DEPTH = 32
# For the nesting: strings out, then each bracket as "(" or ")", the rest dropped.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_AS_PARENTHESES = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")


class UnreadableJSON(json.JSONDecodeError):
    """Why a body is not the JSON we read; `field` is where in it, when that is known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        ValueError.__init__(self, message)
        self.msg = message
        self.doc = ""
        self.pos = self.lineno = self.colno = 0
        self.field = field

    def __reduce__(self) -> tuple:
        return type(self), (self.msg, self.field)


def decode_json(data: str | bytes) -> object:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise UnreadableJSON(
                f"The request body is not valid UTF-8 (byte {error.start})."
            ) from None
    try:
        value = _loads(data)
    except json.JSONDecodeError as error:
        raise UnreadableJSON(
            f"The request body is not valid JSON: {error.msg} "
            f"(line {error.lineno}, column {error.colno})."
        ) from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        # Python reads integers of at most 4,300 digits (int_max_str_digits).
        raise UnreadableJSON("The request body holds a number too long to read.") from None
    _check(value, data)
    return value


def _loads(text: str) -> object:
    """json.loads, with the cyclic collector paused.

    A megabyte of small arrays is 340,000 new lists: the collector ran pass after pass over
    the API's whole heap while json.loads built them (0.38 s, of which 0.06 s parsing).
    What json.loads builds holds no cycle, and nothing else runs during the call.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text)
    finally:
        if collecting:
            gc.enable()


def _too_deep() -> UnreadableJSON:
    return UnreadableJSON(f"The request body nests more than {MAX_DEPTH} levels deep.")


def _check(value: object, text: str) -> None:
    """Refuses nesting past MAX_DEPTH and lone surrogates in the value `text` was read as.

    The nesting is found in the text by a regular expression and bytes.replace, whose loops
    run in C: a walk over the value in Python took a second for a megabyte of small arrays.
    Lone surrogates are found in the value, exactly, by writing it as UTF-8 in C (the rule
    of `domain.validation`): the text cannot tell them apart, since an escaped backslash
    followed by "ud800" looks like an escape. Only a value that holds one is walked, to
    name the place.
    """
    if not _nests_at_most(text, MAX_DEPTH):
        raise _too_deep()
    if holds_lone_surrogate(value):
        path, text_holding_it = _lone_surrogate_place(value)
        _refuse_surrogate(text_holding_it, path)


def _nests_at_most(text: str, depth: int) -> bool:
    """Whether the brackets of a valid JSON text nest at most `depth` deep: each pass drops
    the innermost pairs, one level (bytes.replace runs in C)."""
    brackets = _STRING.sub("", text).encode().translate(_AS_PARENTHESES, _NOT_BRACKETS)
    for _ in range(depth):
        if not brackets:
            return True
        brackets = brackets.replace(b"()", b"")
    return not brackets


def _lone_surrogate_place(value: object) -> tuple[tuple[str | int, ...], str]:
    """The path to the first key or string holding a lone surrogate, and that text, in a
    value known to hold one.

    Each container is searched by halves, a slice of its keys or values checked at a time
    in C, so a list of a million items costs about twenty checks, not a million steps in
    Python; at most MAX_DEPTH containers are entered.
    """
    path: list[str | int] = []
    while not isinstance(value, str):
        # JSON as decoded: a dict, else a list (a number or a literal holds no surrogate).
        keyed = isinstance(value, dict)
        keys: list = list(value) if isinstance(value, dict) else []
        children: list = list(value.values()) if isinstance(value, dict) else cast(list, value)
        low, high = 0, len(children)
        while high - low > 1:
            middle = (low + high) // 2
            if holds_lone_surrogate(keys[low:middle]) or holds_lone_surrogate(children[low:middle]):
                high = middle
            else:
                low = middle
        if keyed and has_lone_surrogate(keys[low]):
            return (*path, keys[low]), keys[low]
        path.append(keys[low] if keyed else low)
        value = children[low]
    return tuple(path), value


def _refuse_surrogate(text: str, path: tuple[str | int, ...]) -> NoReturn:
    found = first_lone_surrogate(text)
    assert found is not None
    # A key may hold the surrogate itself: the path shows it escaped, as JSON would.
    field = surrogates_escaped(".".join(str(part) for part in path)) or None
    raise UnreadableJSON(
        f"{field or 'The request body'} holds a lone UTF-16 surrogate "
        f"({surrogates_escaped(found)}), which is not a character: send text as UTF-8, "
        "or a surrogate pair.",
        field=field,
    )
