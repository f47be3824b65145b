"""How a list argument `orderBy: {field, direction}` becomes an `Ordering`."""

from __future__ import annotations

from enum import Enum
from typing import Protocol

import strawberry

from api.core.pagination import Ordering


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


class OrderInput(Protocol):
    """An `XOrder` input: one of the type's `XOrderField`s (valued by model field), a direction."""

    @property
    def field(self) -> Enum: ...

    @property
    def direction(self) -> OrderDirection: ...


def ordering(order: OrderInput | None, default: Ordering) -> Ordering:
    if order is None:
        return default
    return Ordering(order.field.value, descending=order.direction == OrderDirection.DESC)
