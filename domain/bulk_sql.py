"""A chunk's many rows in a constant number of statements: lookups by lists of keys,
primary keys handed out in advance, inserts and updates of all rows at once.

Tortoise builds a model object per row and a query tree per statement; at a thousand
rows a chunk that costs more than the database's own work. These helpers send plain
parameterised SQL through the current connection (the chunk's transaction), with one
statement text per shape, so PostgreSQL prepares each once:

- a list of keys is ONE parameter (`domain.sql.any_of`), never an IN list as long as
  the chunk;
- PostgreSQL receives new rows through binary COPY, SQLite through multi-row VALUES.

Every statement is logged on the connection's logger, like Tortoise's own, so query
counts see them all.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.fields import BigIntField, BooleanField, CharField, IntField, TextField
from tortoise.fields.data import JSONField
from tortoise.models import Model

# The dialect's fragments live in domain/sql.py; the row appliers take them from here too.
from domain.sql import fetch, is_postgres

# SQLite takes at most 32766 parameters per statement; PostgreSQL gets one array per column.
_SQLITE_PARAMETERS = 30_000
# Stored as they come: the Python value is what the driver sends.
_PLAIN_FIELDS = (BigIntField, BooleanField, CharField, IntField, TextField)
_EMPTY_JSON: dict[type, str] = {dict: "{}", list: "[]"}


# ---------------------------------------------------------------- converting values


Converter = Callable[[Any], Any] | None


def python_values(
    model: type[Model], names: Sequence[str]
) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """What turns a fetched row of the model's fields `names` (selected in that order) into
    a dict of their Python values, as Tortoise's `.values()` gives them: the driver's value
    where it already is one, else the field's `to_python_value` of it (enums, decimals,
    JSON, and on SQLite dates)."""
    native = {name for _, name, _ in model._meta.db_native_fields}
    converters = [
        None if name in native else model._meta.fields_map[name].to_python_value for name in names
    ]

    def convert(row: Sequence[Any]) -> dict[str, Any]:
        return {
            name: value if to_python is None else to_python(value)
            for name, to_python, value in zip(names, converters, row, strict=True)
        }

    return convert


@dataclass(frozen=True)
class _Column:
    name: str  # the model's field name
    db_column: str
    sql_type: str  # on PostgreSQL
    convert: Converter  # Python value → database value; None: sent as it is
    field: Any
    null_by_default: bool  # left out of an INSERT, the column is NULL


def _converter(field: Any) -> Converter:
    if type(field) in _PLAIN_FIELDS:
        return None
    if isinstance(field, JSONField):
        encode = field.encoder

        def to_json(value: Any) -> Any:
            if isinstance(value, str):
                return value
            if not value and type(value) in _EMPTY_JSON:
                return _EMPTY_JSON[type(value)]  # most rows: no custom fields, no tags
            return encode(value)

        return to_json
    if hasattr(field, "enum_type"):

        def to_enum_value(value: Any) -> Any:
            return value.value if isinstance(value, Enum) else field.to_db_value(value, None)

        return to_enum_value
    return lambda value: field.to_db_value(value, None)


def _null_by_default(field: Any) -> bool:
    return field.null and field.default is None and not field.has_db_default()


_COLUMNS: dict[type[Model], list[_Column]] = {}


def _columns(model: type[Model]) -> list[_Column]:
    """The model's stored columns, worked out once (Tortoise must be initialised)."""
    columns = _COLUMNS.get(model)
    if columns is None:
        meta = model._meta
        columns = _COLUMNS[model] = [
            _Column(
                name,
                db_column,
                meta.fields_map[name].get_for_dialect("postgres", "SQL_TYPE"),
                _converter(meta.fields_map[name]),
                meta.fields_map[name],
                _null_by_default(meta.fields_map[name]),
            )
            for name, db_column in meta.fields_db_projection.items()
        ]
    return columns


def _db_value(column: _Column, value: Any) -> Any:
    return value if column.convert is None or value is None else column.convert(value)


def _stamped(column: _Column) -> bool:
    """`created_at`, `updated_at`: set to the instant the row is written."""
    return bool(
        getattr(column.field, "auto_now", False) or getattr(column.field, "auto_now_add", False)
    )


def _default(column: _Column, now: datetime | None) -> Any:
    """The column's value in a row that does not give it, computed once per statement (a
    callable default such as `list` makes a fresh object, but its database form is text)."""
    field = column.field
    if _stamped(column):
        return field.to_db_value(now, None)
    default = field.default() if callable(field.default) else field.default
    return _db_value(column, default)


# ---------------------------------------------------------------- writing


async def allocate_ids(db: Any, model: type[Model], count: int) -> list[int]:
    """`count` fresh primary keys, so that the rows inserted in bulk are known by id.

    PostgreSQL hands them out from the table's sequence. SQLite has one writer, and the
    chunk's transaction holds it once it has written; ids follow the largest ever given.
    """
    table = model._meta.db_table
    if is_postgres(db):
        rows = await fetch(
            db,
            # The sequence is looked up once (an InitPlan), not once per id.
            "SELECT nextval((SELECT pg_get_serial_sequence($1, 'id')::regclass)) "
            "FROM generate_series(1, $2)",
            [table, count],
        )
        return sorted(row[0] for row in rows)
    rows = await fetch(
        db,
        f'SELECT MAX(top) FROM (SELECT MAX(id) AS top FROM "{table}" '
        f"UNION ALL SELECT seq AS top FROM sqlite_sequence WHERE name = '{table}')",
        [],
    )
    start = (rows[0][0] or 0) + 1
    return list(range(start, start + count))


def _batches(rows: list, width: int) -> list[list]:
    size = max(1, _SQLITE_PARAMETERS // max(width, 1))
    return [rows[start : start + size] for start in range(0, len(rows), size)]


_MISSING = object()


def _column_values(column: _Column, default: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """The column's database values in `rows`; `default` (a database value) where absent."""
    name, convert = column.name, column.convert
    if convert is None:
        return [row.get(name, default) for row in rows]
    if isinstance(column.field, JSONField):
        convert = _memoised(convert)  # rows often share a list: their tags
    return [
        default if value is _MISSING else None if value is None else convert(value)
        for value in [row.get(name, _MISSING) for row in rows]
    ]


def _memoised(to_json: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`to_json` remembering the text of each list of strings it has encoded (only strings:
    as tuple keys 1, 1.0 and True would be one)."""
    texts: dict[tuple[str, ...], Any] = {}

    def convert(value: Any) -> Any:
        if type(value) is not list or not all(type(item) is str for item in value):
            return to_json(value)
        key = tuple(value)
        text = texts.get(key)
        if text is None:
            text = texts[key] = to_json(value)
        return text

    return convert


@dataclass(frozen=True)
class NewRows:
    """Rows made ready for `insert`: the table, its columns and each row's database values."""

    table: str
    columns: list[str]
    records: list[tuple]


def new_rows(model: type[Model], rows: list[dict[str, Any]], now: datetime) -> NewRows:
    """The rows as the database takes them; the fields a row does not give take the
    model's defaults. Every row gives the same keys or a subset of them; `id` is given by
    all or by none."""
    # Column by column, then zipped: a thousand rows of twenty columns go through one
    # comprehension per column rather than twenty thousand calls.
    names: list[str] = []
    values: list[list[Any]] = []
    given = set().union(*rows)  # a column no row gives holds its default in every one
    for column in _columns(model):
        if column.name not in given and (column.name == "id" or column.null_by_default):
            continue  # NULL in every row (or a new id): the database writes it unsent
        default = _default(column, now)
        column_values = (
            _column_values(column, default, rows) if column.name in given else [default] * len(rows)
        )
        if column.null_by_default and not any(value is not None for value in column_values):
            continue  # NULL in every row: the database writes it without being sent it
        names.append(column.db_column)
        values.append(column_values)
    return NewRows(model._meta.db_table, names, list(zip(*values, strict=True)))


class RowLayout:
    """A model's new rows as records, worked out once per chunk. `records` turns rows into
    their database values ahead of the chunk's transaction; `stamped` adds, when the rows
    are written, their ids and the instant of the write (`created_at`, `updated_at`)."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        columns = _columns(model)
        self._stamps = [column for column in columns if _stamped(column)]
        self._columns = [c for c in columns if c.name != "id" and not _stamped(c)]
        self._defaults = [_default(column, None) for column in self._columns]
        self._converters = [
            _memoised(c.convert) if c.convert and isinstance(c.field, JSONField) else c.convert
            for c in self._columns
        ]

    def records(self, rows: list[dict[str, Any]]) -> list[tuple]:
        """Each row's values, but its id and its stamps (which the rows must not give)."""
        given = set().union(*rows)  # a column no row gives holds its default in every one
        columns: list[Iterable[Any]] = []
        for column, default, convert in zip(
            self._columns, self._defaults, self._converters, strict=True
        ):
            if column.name not in given:
                columns.append(itertools.repeat(default, len(rows)))
                continue
            if convert is None:
                columns.append([row.get(column.name, default) for row in rows])
                continue
            columns.append(
                [
                    default if value is _MISSING else None if value is None else convert(value)
                    for value in [row.get(column.name, _MISSING) for row in rows]
                ]
            )
        return list(zip(*columns, strict=True))

    def stamped(self, records: list[tuple[int, tuple]], now: datetime) -> NewRows:
        """(id, record) pairs as rows to insert, written at `now`."""
        stamps = tuple(column.field.to_db_value(now, None) for column in self._stamps)
        return NewRows(
            self.model._meta.db_table,
            ["id", *(c.db_column for c in self._columns), *(c.db_column for c in self._stamps)],
            [(pk, *record, *stamps) for pk, record in records],
        )


async def insert(db: Any, rows: NewRows) -> None:
    """All rows in one statement (per 30,000 parameters on SQLite)."""
    if not rows.records:
        return
    if is_postgres(db):
        await _copy(db, rows.table, rows.columns, rows.records)
        return
    width = len(rows.columns)
    quoted = ", ".join(f'"{name}"' for name in rows.columns)
    for batch in _batches(rows.records, width):
        tuples = ", ".join(f"({', '.join('?' * width)})" for _ in batch)
        params = [value for record in batch for value in record]
        await db.execute_query(f'INSERT INTO "{rows.table}" ({quoted}) VALUES {tuples}', params)


async def insert_rows(
    db: Any, model: type[Model], rows: list[dict[str, Any]], now: datetime
) -> None:
    """`insert` of `new_rows`."""
    if rows:
        await insert(db, new_rows(model, rows, now))


async def _copy(db: Any, table: str, columns: list[str], records: list[tuple]) -> None:
    """Binary COPY on the connection of the current transaction: PostgreSQL's fastest way in.

    The rows are committed or rolled back with the rest of the transaction.
    """
    import asyncpg  # only ever imported where PostgreSQL is in use

    async with db.acquire_connection() as connection:
        db.log.debug("COPY %s (%s) FROM STDIN: %d rows", table, ", ".join(columns), len(records))
        try:
            await connection.copy_records_to_table(table, records=records, columns=columns)
        except asyncpg.IntegrityConstraintViolationError as error:
            raise IntegrityError(error) from error
        except (asyncpg.SyntaxOrAccessError, asyncpg.exceptions.DataError) as error:
            raise OperationalError(error) from error


async def update_rows(
    db: Any, model: type[Model], changes: dict[int, dict[str, Any]], now: datetime
) -> None:
    """All rows in one UPDATE, each row's columns set from its values; a NULL value keeps
    the stored one (an import never writes NULL: blank cells are not changes)."""
    if not changes:
        return
    table = model._meta.db_table
    by_name = {column.name: column for column in _columns(model)}
    names = sorted({name for values in changes.values() for name in values})
    columns = [by_name["id"], *(by_name[name] for name in names)]
    records = [
        [pk, *(_db_value(by_name[name], values.get(name)) for name in names)]
        for pk, values in changes.items()
    ]
    quoted = ", ".join(f'"{column.db_column}"' for column in columns)
    sets = "".join(
        f'"{c.db_column}" = COALESCE(v."{c.db_column}", "{table}"."{c.db_column}"), '
        for c in columns[1:]
    )
    # The class, not an instance: a stamp for a statement (an instance's would be set on it).
    stamp = model._meta.fields_map["updated_at"].to_db_value(now, model)
    if is_postgres(db):
        arrays = ", ".join(
            f"${position}::{column.sql_type}[]" for position, column in enumerate(columns, 1)
        )
        params = [list(values) for values in zip(*records, strict=True)]
        await db.execute_query(
            f'UPDATE "{table}" SET {sets}"updated_at" = ${len(columns) + 1}::TIMESTAMPTZ '
            f'FROM unnest({arrays}) AS v ({quoted}) WHERE "{table}"."id" = v."id"',
            [*params, stamp],
        )
        return
    for batch in _batches(records, len(columns)):
        tuples = ", ".join(f"({', '.join('?' * len(columns))})" for _ in batch)
        params = [value for record in batch for value in record]
        await db.execute_query(
            f"WITH v ({quoted}) AS (VALUES {tuples}) "
            f'UPDATE "{table}" SET {sets}"updated_at" = ? FROM v WHERE "{table}"."id" = v."id"',
            [*params, stamp],
        )
