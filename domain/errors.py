"""Expected failures of domain operations, each with a machine-readable code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    # A tree would loop: a team moved under itself or a team below it.
    CYCLE = "CYCLE"
    # Too many attempts in a window (failed sign-ins): wait, then try again.
    RATE_LIMITED = "RATE_LIMITED"
    # A limit of the user's reached (customers held, claims a day, locks): free one first.
    LIMIT = "LIMIT"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input; `field` is a dotted path such as "input.email"."""

    field: str | None
    message: str
    code: ErrorCode


class DomainError(Exception):
    """An expected failure: it carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems

    @classmethod
    def single(cls, field: str | None, message: str, code: ErrorCode) -> DomainError:
        return cls([Problem(field, message, code)])


def not_found(field: str | None, what: str) -> DomainError:
    return DomainError.single(field, f"{what} not found.", ErrorCode.NOT_FOUND)


def forbidden(message: str) -> DomainError:
    return DomainError.single(None, message, ErrorCode.FORBIDDEN)


class Problems:
    """Collects problems while validating an input, then raises them all at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field: str | None, message: str, code: ErrorCode = ErrorCode.INVALID) -> None:
        self.items.append(Problem(field, message, code))

    def extend(self, problems: list[Problem]) -> None:
        self.items.extend(problems)

    def raise_if_any(self) -> None:
        if self.items:
            raise DomainError(self.items)
