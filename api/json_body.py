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

import json
import re
from typing import NoReturn

# Levels of objects and arrays: {"variables": {"input": {"rows": [{…}]}}} is four.
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")
# Surrogates reach a str only through \u escapes (the text is valid UTF-8), and json.loads
# joins a high one followed by a low one into their character: any other is lone. (An
# escaped backslash before "ud800" matches too; the walk then finds nothing.)
_HIGH, _LOW = r"\\u[dD][89abAB][0-9a-fA-F]{2}", r"\\u[dD][c-fC-F][0-9a-fA-F]{2}"
_LONE_SURROGATE_ESCAPE = re.compile(rf"{_HIGH}(?!{_LOW})|(?<!{_HIGH}){_LOW}")
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
        value = json.loads(data)
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


def _too_deep() -> UnreadableJSON:
    return UnreadableJSON(f"The request body nests more than {MAX_DEPTH} levels deep.")


def _check(value: object, text: str) -> None:
    """Refuses nesting past MAX_DEPTH and lone surrogates in the value `text` was read as.

    Both are found in the text by regular expressions, whose loops run in C: a walk over
    the value in Python took a second for a megabyte of small arrays. Only a text that
    holds a lone surrogate escape is walked, to name the surrogate's place.
    """
    if not _nests_at_most(text, MAX_DEPTH):
        raise _too_deep()
    if _LONE_SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(value)


def _nests_at_most(text: str, depth: int) -> bool:
    """Whether the brackets of a valid JSON text nest at most `depth` deep: each pass drops
    the innermost pairs, one level (bytes.replace runs in C)."""
    brackets = _STRING.sub("", text).encode().translate(_AS_PARENTHESES, _NOT_BRACKETS)
    for _ in range(depth):
        if not brackets:
            return True
        brackets = brackets.replace(b"()", b"")
    return not brackets


def _refuse_lone_surrogates(value: object) -> None:
    """Walks the value (without recursion) to the first string or key holding one."""
    if type(value) is str:
        if _SURROGATE.search(value):
            _refuse_surrogate(value, ())
        return
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        pairs = item.items() if type(item) is dict else enumerate(item)  # type: ignore[arg-type]
        for key, child in pairs:
            if type(key) is str and _SURROGATE.search(key):
                _refuse_surrogate(key, (*path, key))
            kind = type(child)
            if kind is str:
                if _SURROGATE.search(child):
                    _refuse_surrogate(child, (*path, key))
            elif kind is dict or kind is list:
                stack.append((child, (*path, key)))


def _refuse_surrogate(text: str, path: tuple[str | int, ...]) -> NoReturn:
    found = _SURROGATE.search(text)
    assert found is not None
    # A key may hold the surrogate itself: the path shows it escaped, as JSON would.
    field = _escaped(".".join(str(part) for part in path)) or None
    raise UnreadableJSON(
        f"{field or 'The request body'} holds a lone UTF-16 surrogate "
        f"({_escaped(found.group())}), which is not a character: send text as UTF-8, "
        "or a surrogate pair.",
        field=field,
    )


def _escaped(text: str) -> str:
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
