"""JSON as a client sends it (a request body, a WebSocket message), read strictly.

What is refused, and why:
- bytes that are not UTF-8 (GraphQL over HTTP is UTF-8; a UTF-8 BOM is skipped);
- NaN and Infinity, which Python's json reads but JSON has not;
- nesting deeper than MAX_DEPTH: no request of this API nests more than a few levels, and
  Python's parser (and whatever walks the value afterwards) recurses per level, so a body
  of 1,000 brackets ended in a RecursionError and a 500;
- a lone UTF-16 surrogate ("\\ud800" without its pair) anywhere, key or value: it is no
  character, PostgreSQL cannot encode it and SQLite would store it. The error names where
  it is (`variables.input.name`), as a user error names its field.

Each refusal is an `UnreadableJSON`, a JSONDecodeError: Strawberry's WebSocket handlers
answer those as the invalid messages they are (close 4400), and the HTTP view turns its
message into a 400.
"""

from __future__ import annotations

import json
import re

# Levels of objects and arrays: {"variables": {"input": {"rows": [{…}]}}} is four.
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


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
        value = json.loads(data, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise UnreadableJSON(
            f"The request body is not valid JSON: {error.msg} "
            f"(line {error.lineno}, column {error.colno})."
        ) from None
    except RecursionError:
        raise _too_deep() from None
    except _NotJSONNumber as error:
        raise UnreadableJSON(f"The request body is not valid JSON: {error}") from None
    except ValueError:
        # Python reads integers of at most 4,300 digits (int_max_str_digits).
        raise UnreadableJSON("The request body holds a number too long to read.") from None
    _check(value)
    return value


class _NotJSONNumber(ValueError):
    pass


def _refuse_constant(name: str) -> object:
    raise _NotJSONNumber(f"{name} is not a JSON number.")


def _too_deep() -> UnreadableJSON:
    return UnreadableJSON(f"The request body nests more than {MAX_DEPTH} levels deep.")


def _check(value: object) -> None:
    """Refuses nesting past MAX_DEPTH and lone surrogates, walking without recursion."""
    stack: list[tuple[object, tuple[str | int, ...], int]] = [(value, (), 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, dict):
            if depth >= MAX_DEPTH:
                raise _too_deep()
            for key, child in item.items():
                _check_text(key, (*path, key))
                stack.append((child, (*path, key), depth + 1))
        elif isinstance(item, list):
            if depth >= MAX_DEPTH:
                raise _too_deep()
            stack.extend((child, (*path, index), depth + 1) for index, child in enumerate(item))


def _check_text(text: str, path: tuple[str | int, ...]) -> None:
    if text.isascii():
        return
    found = _SURROGATE.search(text)
    if found is None:
        return
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
