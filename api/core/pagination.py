"""Relay connections: keyset pagination for root lists, windowed pages for nested ones.

Root lists (`customers`, `opportunities`…) page by keyset: the cursor holds the
sort value and the id of an edge, so pages stay right while rows are added.
Nullable sort keys sort last in both directions on both databases.

Nested lists (a customer's contacts…) are loaded for many parents at once by
`api.core.windows`; their cursors are positions inside one parent's list.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import strawberry
from tortoise import fields as tortoise_fields
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from api.core.errors import ClientError
from crm.settings import get_settings

NodeT = TypeVar("NodeT")
DEFAULT_PAGE_SIZE = 20


# Cursors are kept as their payloads and encoded only when a client selects them: a nested
# read of 50 customers holds about 1,000 edges, and most clients ask for few of their cursors.


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    _start: strawberry.Private[Any]
    _end: strawberry.Private[Any]

    @strawberry.field
    def start_cursor(self) -> str | None:
        return None if self._start is None else _encode(self._start)

    @strawberry.field
    def end_cursor(self) -> str | None:
        return None if self._end is None else _encode(self._end)


@strawberry.type
class Edge(Generic[NodeT]):
    node: NodeT
    _cursor: strawberry.Private[Any]

    @strawberry.field
    def cursor(self) -> str:
        return _encode(self._cursor)


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        # Counted only when asked for: a client paging through a list rarely needs it.
        return await self._count()


def _constant(value: int) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return value

    return count


def make_connection(
    nodes: Sequence[Any],
    cursors: Sequence[Any],
    *,
    has_next: bool,
    has_previous: bool,
    count: int | Callable[[], Awaitable[int]],
) -> Connection[Any]:
    """`cursors`: each node's cursor payload, as `_encode` takes it."""
    edges = [Edge(node=n, _cursor=c) for c, n in zip(cursors, nodes, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            _start=cursors[0] if cursors else None,
            _end=cursors[-1] if cursors else None,
        ),
        _count=_constant(count) if isinstance(count, int) else count,
    )


def page_size(value: int | None, argument: str) -> int | None:
    """Validates `first`/`last`; above the configured maximum is refused, not silently cut."""
    if value is None:
        return None
    maximum = get_settings().max_page_size
    if value < 0:
        raise ClientError(f"`{argument}` must not be negative.", "BAD_PAGINATION")
    if value > maximum:
        raise ClientError(
            f"`{argument}` may be at most {maximum}; page through longer lists with cursors.",
            "BAD_PAGINATION",
            maximum=maximum,
        )
    return value


def _encode(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _bad_cursor() -> ClientError:
    return ClientError("That cursor is not one this API gave out.", "BAD_CURSOR")


def _decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise _bad_cursor() from None


# ---------------------------------------------------------------- keyset pagination


@dataclass(frozen=True)
class Ordering:
    """A sort key (a model field) with the primary key as tie-breaker, in the same direction."""

    field: str
    descending: bool = False

    @property
    def key(self) -> str:
        """What a cursor records of the ordering: the field and the direction."""
        return f"-{self.field}" if self.descending else self.field

    def _meta_field(self, model: type[Model]) -> tortoise_fields.Field:
        return model._meta.fields_map[self.field]

    def nullable(self, model: type[Model]) -> bool:
        return self.field != "id" and self._meta_field(model).null

    def dump(self, model: type[Model], value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    def load(self, model: type[Model], value: Any) -> Any:
        """The sort value a cursor holds, refused unless it is one this API could have written."""
        if value is None:
            if self.nullable(model):
                return None
            raise _bad_cursor()
        meta_field = self._meta_field(model)
        try:
            if isinstance(meta_field, tortoise_fields.DatetimeField):
                return datetime.fromisoformat(value)
            if isinstance(meta_field, tortoise_fields.DateField):
                return date.fromisoformat(value)
            if isinstance(meta_field, tortoise_fields.DecimalField):
                amount = Decimal(value) if isinstance(value, str) else None
                if amount is not None and amount.is_finite():
                    return amount
            elif isinstance(meta_field, tortoise_fields.FloatField):
                number = float(value)
                if math.isfinite(number):
                    return number
            elif isinstance(meta_field, tortoise_fields.IntField):
                if isinstance(value, int) and abs(value) < 2**63:
                    return value
            elif isinstance(value, str) and "\x00" not in value:
                return value
        except (TypeError, ValueError, InvalidOperation):
            pass
        raise _bad_cursor()


def _cursor_for(model: type[Model], ordering: Ordering, node: Model) -> list[Any]:
    """The payload of a keyset cursor (see `_cursor_position`)."""
    return [ordering.key, ordering.dump(model, getattr(node, ordering.field)), node.pk]


def _cursor_position(model: type[Model], ordering: Ordering, cursor: str) -> tuple[Any, int]:
    payload = _decode(cursor)
    if not (isinstance(payload, list) and len(payload) == 3 and payload[0] == ordering.key):
        raise ClientError(
            "That cursor belongs to another ordering; start again without it.", "BAD_CURSOR"
        )
    if not isinstance(payload[2], int) or not 0 < payload[2] < 2**63:
        raise _bad_cursor()
    return ordering.load(model, payload[1]), payload[2]


def _at_the_edge(value: Any) -> bool:
    """The first and last dates and instants Python has. asyncpg reads PostgreSQL's
    ±infinity as these, and writes these as ±infinity, so one read from a row that truly
    holds 9999-12-31 (stored before dates were checked, or by hand) does not name the
    row's value when written back: paging from it would find the row again, forever."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) in (datetime.max, datetime.min)
    return isinstance(value, date) and value in (date.max, date.min)


def _q(**lookups: Any) -> Q:
    """`Q(**lookups)` for the type checker, which would take a lookup for Q's own keyword
    `join_type` (a str) when the values are not strings."""
    return Q(**lookups)


def _beyond(queryset: QuerySet, ordering: Ordering, value: Any, pk: int, forward: bool) -> Q:
    """Rows strictly after (forward) or before the position (value, pk) in the ordering.

    The ordering is: non-null values in the requested direction, then nulls, with
    the primary key breaking ties in the same direction as the sort key.
    """
    model = queryset.model
    ascending = ordering.descending is not forward
    op = "gt" if ascending else "lt"
    f = ordering.field
    if f == "id":
        return _q(**{f"id__{op}": pk})
    if _at_the_edge(value):
        # The cursor's row's own stored value, compared in the database (see _at_the_edge).
        value = Subquery(queryset.filter(id=pk).values(f))
    if not ordering.nullable(model):
        return _q(**{f"{f}__{op}": value}) | _q(**{f: value, f"id__{op}": pk})
    if forward:
        if value is None:
            return _q(**{f"{f}__isnull": True, f"id__{op}": pk})
        return (
            _q(**{f"{f}__{op}": value})
            | _q(**{f: value, f"id__{op}": pk})
            | _q(**{f"{f}__isnull": True})
        )
    if value is None:
        return _q(**{f"{f}__isnull": False}) | _q(**{f"{f}__isnull": True, f"id__{op}": pk})
    return _q(**{f"{f}__{op}": value}) | _q(**{f: value, f"id__{op}": pk})


def _ordered(queryset: QuerySet, model: type[Model], ordering: Ordering, reverse: bool) -> QuerySet:
    descending = ordering.descending is not reverse
    sign = "-" if descending else ""
    if ordering.field == "id":
        return queryset.order_by(f"{sign}id")
    if ordering.nullable(model):
        # Nulls last whatever the direction, identically on PostgreSQL and SQLite.
        column = model._meta.fields_map[ordering.field].source_field or ordering.field
        flag = RawSQL(f'CASE WHEN "{model._meta.db_table}"."{column}" IS NULL THEN 1 ELSE 0 END')
        queryset = queryset.annotate(_sort_nulls=flag)
        nulls = "-_sort_nulls" if reverse else "_sort_nulls"
        return queryset.order_by(nulls, f"{sign}{ordering.field}", f"{sign}id")
    return queryset.order_by(f"{sign}{ordering.field}", f"{sign}id")


async def paginate(
    queryset: QuerySet,
    ordering: Ordering,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Any]:
    """One page of `queryset` in `ordering`: one SELECT, plus a COUNT if totalCount is asked."""
    first, last = page_size(first, "first"), page_size(last, "last")
    if first is not None and last is not None:
        raise ClientError("Pass `first` or `last`, not both.", "BAD_PAGINATION")
    model = queryset.model
    counted = queryset
    page = queryset
    if after is not None:
        page = page.filter(
            _beyond(queryset, ordering, *_cursor_position(model, ordering, after), True)
        )
    if before is not None:
        page = page.filter(
            _beyond(queryset, ordering, *_cursor_position(model, ordering, before), False)
        )
    backwards = last is not None
    size = last if last is not None else (first if first is not None else DEFAULT_PAGE_SIZE)
    rows = list(await _ordered(page, model, ordering, reverse=backwards).limit(size + 1))
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    cursors = [_cursor_for(model, ordering, row) for row in rows]
    return make_connection(
        rows,
        cursors,
        # Without a cursor on the other side we know only that nothing lies beyond it.
        has_next=more if not backwards else before is not None,
        has_previous=more if backwards else after is not None,
        count=counted.count,
    )


# ---------------------------------------------------------------- positional cursors


def offset_cursor(position: int) -> list[Any]:
    """The payload of a positional cursor (see `offset_from_cursor`)."""
    return ["#", position]


def offset_from_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    payload = _decode(cursor)
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and payload[0] == "#"
        and isinstance(payload[1], int)
        and 0 <= payload[1] < 2**31
    ):
        raise _bad_cursor()
    return payload[1] + 1


async def child_connection(
    loader: Any, parent_id: int, first: int | None, after: str | None, extra: Any = None
) -> Connection[Any]:
    """A nested connection served by a page loader (see `api.core.loaders._pages`)."""
    limit = page_size(first, "first")
    offset = offset_from_cursor(after)
    page = await loader.load(
        (parent_id, DEFAULT_PAGE_SIZE if limit is None else limit, offset, extra)
    )
    cursors = [offset_cursor(page.offset + index) for index in range(len(page.rows))]
    return make_connection(
        page.rows,
        cursors,
        has_next=page.has_more,
        has_previous=page.offset > 0,
        count=page.total,
    )
