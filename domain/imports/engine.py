"""The import engine: one row loop for every kind (`land_rows`), each kind a `Spec` of what
differs, declared in its module and gathered in `specs.SPECS` (docs/ARCHITECTURE.md, Imports).

`Spec.open` makes a chunk ready at once: it parses the rows, collects the keys every row
names, resolves them with one query per lookup (customers linked by external id, phone or
name, members, stages, the stored records rows may match) and returns a `RecordChunk`. The
loop then finds each row's record (`Matches.find`), skips the row by mode, has the kind plan
the record it creates or the changes it makes (cells that differ from what an earlier row
of the file gave the same record refused: `matches.overwrites`), and fails or lands it.
Nothing is written in the loop and nothing is awaited per row but the custom fields' check:
the kind's `write` writes the chunk set-based in a constant number of statements, and what
its rows did is kept for the file's later chunks (`file_keys`).
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from tortoise.models import Model

from domain.access import ChunkGuard
from domain.bulk_sql import allocate_ids, insert_rows, python_values
from domain.custom_fields import Definitions, clean_custom_fields
from domain.errors import ErrorCode, Problem, Problems
from domain.exact_updates import set_columns
from domain.history import VIA_API, Change, Through, changes_of, record_changes
from domain.imports.cells import (
    Cells,
    ChunkResult,
    check_external_id,
    fail,
)
from domain.imports.file_keys import FileKeys
from domain.imports.links import LinkedCustomer
from domain.imports.matches import Keys, Matches, Record, overwrites
from domain.opportunities import default_owner
from domain.sql import Sql
from domain.viewer import Viewer
from models.enums import ChangedEntity, CustomFieldEntity, ImportKind, ImportMode

NumberedCells = list[tuple[int, Cells]]


@dataclass
class Row:
    """One row, its cells read: what it gives, the keys it is matched by, its problems."""

    number: int
    problems: Problems
    values: dict[str, Any]  # the columns its cells give
    custom: dict[str, Any] = field(default_factory=dict)  # custom fields, typed
    keys: dict[str, Any] = field(default_factory=dict)  # match field → the value compared
    present: dict[str, str] = field(default_factory=dict)  # the cells that hold something
    customer: LinkedCustomer | None = None  # the customer it names (linked kinds)
    gave: dict[str, Any] | None = None  # what later rows may not contradict (else `values`)


R = TypeVar("R", bound=Record)


class RecordChunk(ABC, Generic[R]):
    """What a kind does with one chunk, its lookups loaded (see the module docstring). Its
    records are `matches.Record`s held by a `Matches` index: by external id (which a new or
    changed record must not take from another) and by each key the kind gives them."""

    matches: Matches[R]
    viewer: Viewer
    definitions: Definitions
    through: Through = VIA_API  # the door its history names (`land_rows` sets the job's)

    def __init__(self, spec: Spec, rows: list[Row]) -> None:
        self.spec = spec
        self.rows = rows

    @abstractmethod
    async def create(self, row: Row, problems: Problems) -> tuple[R, dict[str, Any]]:
        """The record the row creates, and its values."""

    @abstractmethod
    async def update(self, row: Row, target: R, problems: Problems) -> dict[str, Any]:
        """The changes the row makes to `target`."""

    @abstractmethod
    async def write(self) -> None:
        """Writes what the rows landed, set-based."""

    def check(self, row: Row, target: R, changes: dict[str, Any], problems: Problems) -> None:
        """What the row's plan must not clash with in the chunk: an external id another
        record holds."""
        external_id = changes.get("external_id")
        check_external_id(
            problems, external_id, target, self.matches.by_external_id, self.spec.record
        )

    def land(self, row: Row, target: R, changes: dict[str, Any]) -> bool:
        """Takes in a row that passed; True when it created its record."""
        given = row.values if row.gave is None else row.gave
        return self.matches.land(target, changes, row.number, given, row.custom)

    async def custom_fields(
        self, row: Row, problems: Problems, target: R | None = None
    ) -> dict[str, Any]:
        """The row's custom fields, checked: a new record's (`target` None), or merged into
        those `target` holds."""
        assert self.spec.entity is not None
        existing = None if target is None else target.values["custom_fields"]
        return await checked_custom_fields(
            self.viewer, problems, self.spec.entity, self.definitions, row.custom, existing
        )

    def changes(self, row: Row, target: R, problems: Problems) -> dict[str, Any]:
        """The columns the row gives otherwise than `target` holds them; a record of another
        customer than the row's is a problem (an import never moves one)."""
        assert row.customer is not None
        if target.values["customer_id"] != row.customer.id:
            problems.add(
                row.customer.field,
                f"This {self.spec.record} belongs to another customer; an import does not move it.",
                ErrorCode.CONFLICT,
            )
        current = target.values
        return {column: value for column, value in row.values.items() if current[column] != value}

    async def write_history(self, changes: list[Change], now: datetime) -> None:
        """The chunk's history, in one INSERT (see `history_of`)."""
        await record_changes(self.viewer, self.through, changes, at=now)

    async def write_records(self, model: type[Model], now: datetime, **also: Any) -> None:
        """Inserts the records rows created; sets the columns rows changed of the stored
        ones they matched (and, when there are any, the columns `also`)."""
        db = model._meta.db
        created = [record.values for record in self.matches.created]
        await give_ids(model, created, workspace_id=self.viewer.workspace_id)
        await insert_rows(db, model, created, now)
        matched = self.matches.records()
        changed = {r.stored: r for r in matched if r.stored is not None and r.changed}
        columns = sorted({column for record in changed.values() for column in record.changed})
        await set_columns(
            model,
            {pk: record.values | also for pk, record in changed.items()},
            [*columns, *also] if columns else [],
        )


@dataclass(frozen=True)
class Opening:
    """What `Spec.open` makes a chunk of: its rows, and how the import applies them."""

    viewer: Viewer
    rows: NumberedCells
    mode: ImportMode
    match_on: list[str]
    file: FileKeys | None  # what earlier chunks of the file did (see `file_keys`)

    @property
    def cells(self) -> list[Cells]:
        return [cells for _, cells in self.rows]

    @property
    def lock(self) -> bool:
        """Whether the records rows match are locked as they are read: rows that match
        change them (but in CREATE mode), so that an edit committed meanwhile is not
        overwritten by the custom fields merged into here."""
        return self.mode != ImportMode.CREATE


Opener = Callable[[Opening], Awaitable[RecordChunk[Any] | None]]


class CheckedRows(Protocol):
    """A chunk's rows made ready for its transaction (checked ahead, when the kind can)."""

    def apply(
        self,
        *,
        mode: ImportMode,
        match_on: list[str],
        file: FileKeys | None = None,
        through: Through = VIA_API,
    ) -> Awaitable[ChunkResult]: ...


# `Spec.apply`'s signature; once the rows are given (`Spec.prepare`), its keywords alone.
Applier = Callable[..., Awaitable[ChunkResult]]


@dataclass(frozen=True)
class Spec:
    """An import kind, declared: see the module docstring."""

    kind: ImportKind
    record: str  # "deal": in row errors
    a_record: str  # "an opportunity": in mapping errors
    fields: Mapping[str, tuple[str, ...]]  # field → the headers it is recognised by
    match_fields: tuple[str, ...]  # what `matchOn` may name…
    default_match_on: tuple[str, ...]  # … and names when not given
    entity: CustomFieldEntity | None  # of its custom fields, if it has them
    open: Opener | None  # parses a chunk's rows and loads what they name (else `check`)
    growing: tuple[str, ...]  # the tables it grows (their statistics refreshed)
    # Column groups (one of each) a new record needs.
    new_record_needs: tuple[tuple[str, ...], ...] = ()
    # A match field → the columns it needs beside itself.
    matched_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    linked: bool = False  # a row names its customer, and fails without one
    shown: Mapping[str, str] = field(default_factory=dict)  # column → field, in row errors
    not_compared: tuple[str, ...] = ()  # columns later rows may give otherwise
    # Rows checked before the chunk's transaction (`runner.prepare_chunk`), if it can.
    check: Callable[[Viewer, NumberedCells], Awaitable[CheckedRows]] | None = None

    async def prepare(
        self, viewer: Viewer, rows: NumberedCells, apply: Applier | None = None
    ) -> Applier:
        """What applies the rows in their transaction: rows checked now, when the kind can;
        else `apply` (by default `Spec.apply`) given the rows."""
        if self.check is None:
            return functools.partial(apply or self.apply, viewer, rows)
        return (await self.check(viewer, rows)).apply

    def check_match_on(self, match_on: list[str]) -> None:
        unknown = [name for name in match_on if name not in self.match_fields]
        if unknown:
            raise ValueError(
                f"Cannot match {self.kind.value.lower()} on {unknown}; use {self.match_fields}."
            )

    async def apply(
        self,
        viewer: Viewer,
        rows: NumberedCells,
        *,
        mode: ImportMode,
        match_on: list[str],
        file: FileKeys | None = None,
        through: Through = VIA_API,
    ) -> ChunkResult:
        """Creates, updates or skips each row's record; call inside a transaction. `file`:
        what earlier chunks of the file did (see `file_keys`); `through`: the import job,
        which the chunk's history names."""
        if self.check is not None:  # the rows checked, then matched and landed
            checked = await self.check(viewer, rows)
            return await checked.apply(mode=mode, match_on=match_on, file=file, through=through)
        self.check_match_on(match_on)
        if not rows:
            return ChunkResult()
        assert self.open is not None
        chunk = await self.open(Opening(viewer, rows, mode, match_on, file))
        return await land_rows(chunk, mode, match_on, file, through)


async def land_rows(
    chunk: RecordChunk[Any] | None,
    mode: ImportMode,
    match_on: list[str],
    file: FileKeys | None,
    through: Through = VIA_API,
) -> ChunkResult:
    """The row loop every kind shares (see the module docstring), then the chunk's writes."""
    result = ChunkResult()
    if chunk is None:
        return result
    chunk.through = through
    spec, matches = chunk.spec, chunk.matches
    guard = await _guard(chunk)
    for row in chunk.rows:
        if spec.linked and row.customer is None:
            fail(result, row.number, row.problems)
            continue
        found = matches.find(match_on, row.values.get("external_id"), row.keys)
        if found.problem is not None:  # its keys disagree: after the problems of its cells
            row.problems.items.append(found.problem)
            fail(result, row.number, row.problems)
            continue
        target = found.record
        # CREATE leaves rows that match a record alone, UPDATE those that match none.
        if mode == (ImportMode.CREATE if target is not None else ImportMode.UPDATE):
            result.skipped += 1
            if found.key is not None:
                result.matched_by[found.key] += 1
            continue
        if refused := _refused(chunk, guard, row, target):
            row.problems.items.append(refused)
            fail(result, row.number, row.problems)
            continue
        problems = row.problems  # those of the cells, then those of the create or update
        if target is None:
            target, changes = await chunk.create(row, problems)
        else:
            given = row.values if row.gave is None else row.gave
            problems.extend(
                overwrites(
                    target.given, given, row.custom, spec.record, spec.shown, spec.not_compared
                )
            )
            changes = await chunk.update(row, target, problems)
        chunk.check(row, target, changes, problems)
        if problems.items:
            fail(result, row.number, problems)
            continue
        if chunk.land(row, target, changes):
            result.created += 1
        else:
            result.updated += 1
            result.matched_by[found.key or ""] += 1
    await chunk.write()
    if file is not None:
        file.keep(matches)
    return result


async def give_ids(model: type[Model], rows: list[dict[str, Any]], **also: Any) -> None:
    """Gives each new row of `model` its id (and the columns `also`): known by id, later
    chunks of the file find what rows gave each (`file_keys`)."""
    if rows:
        ids = await allocate_ids(model._meta.db, model, len(rows))
        for pk, values in zip(ids, rows, strict=True):
            values["id"] = pk
            if also:
                values.update(also)


def model_columns(model: type[Model], leaving_out: Collection[str] = ()) -> tuple[str, ...]:
    """The model's columns in name order, its foreign keys' included (before Tortoise is
    initialised they are not among its `db_fields`), but those `leaving_out`."""
    meta = model._meta
    columns = {*meta.db_fields, *(f"{fk}_id" for fk in meta.fk_fields)}
    return tuple(sorted(columns.difference(leaving_out)))


def _customer_of(spec: Spec, record: Record) -> int | None:
    """The stored customer a stored record is, or hangs from."""
    return record.values.get("customer_id") if spec.linked else record.stored


async def _guard(chunk: RecordChunk[Any]) -> ChunkGuard:
    """The write rules for the chunk (one statement), the stored records the viewer does not
    see hidden from its rows: they match only what the viewer sees."""
    spec = chunk.spec
    stored = [r for r in chunk.matches.records() if r.stored is not None and not r.unwritten]
    linked = [row.customer.id for row in chunk.rows if row.customer is not None]
    customers = [customer for r in stored if (customer := _customer_of(spec, r)) is not None]
    guard = await ChunkGuard.load(chunk.viewer, [*customers, *linked])
    hidden = {id(r): r for r in stored if not guard.sees(_customer_of(spec, r) or 0)}
    chunk.matches.hide(hidden.values())
    return guard


def _refused(
    chunk: RecordChunk[Any], guard: ChunkGuard, row: Row, target: Record | None
) -> Problem | None:
    """Why the viewer may not write what the row asks: change the customer it matched or
    hangs from, or give a record to another owner."""
    if row.customer is not None:
        refused = guard.change_refusal(row.customer.id, row.customer.field)
        if refused is not None:
            return refused
    if target is not None and target.stored is not None:
        customer_id = _customer_of(chunk.spec, target)
        if customer_id is not None and (refused := guard.change_refusal(customer_id, None)):
            return refused
    if "owner_id" not in row.values:
        return None
    if target is None:
        before = default_owner(None, chunk.viewer, row.customer.owner_id if row.customer else None)
    elif target.stored is not None and not chunk.spec.linked:
        before = guard.owners.get(target.stored)
    else:
        before = target.values.get("owner_id")
    return guard.reassign_refusal(before, row.values["owner_id"], "owner")


def history_of(entity: ChangedEntity, records: Iterable[Record]) -> list[Change]:
    """What the rows did to `records` (written: new ones have their ids), as history: a new
    record's fields, a stored one's changed columns from the values it was read with. A
    record listed more than once counts once."""
    changes: list[Change] = []
    for record in dict.fromkeys(records):
        values = record.values
        if record.stored is None:
            if record.listed and not record.unwritten:
                pk = values["id"]
                owner = pk if entity == ChangedEntity.CUSTOMER else values["customer_id"]
                changes += changes_of(entity, pk, owner, None, values)
        elif record.changed:
            owner = record.stored if entity == ChangedEntity.CUSTOMER else values["customer_id"]
            changes += changes_of(entity, record.stored, owner, record.original, record.changes())
    return changes


async def checked_custom_fields(
    viewer: Viewer,
    problems: Problems,
    entity: CustomFieldEntity,
    definitions: Definitions,
    values: dict[str, Any] | None,
    existing: dict[str, Any] | None,
    path: str = "customFields",
) -> dict[str, Any]:
    """A record's custom fields as `clean_custom_fields` checks them for the API; a new
    one's (`existing` None) without a query when nothing is given and nothing defined."""
    if existing is None and not values and not definitions.of(entity):
        return {}  # nothing given, nothing required: what the full check would find
    return await clean_custom_fields(
        problems, viewer, entity, values, existing=existing, path=path, definitions=definitions
    )


async def record_matches(
    file: FileKeys | None,
    model: type[Model],
    stored: dict[int, R],
    make: Callable[[dict[str, Any]], R],
    keys_of: Callable[[R], Keys],
    what: str,
    name_of: Callable[[R], str | None],
    *,
    moves_keys: bool = False,
) -> Matches[R]:
    """The `Matches` of the `stored` records, and of those a dry run's earlier chunks would
    have created (with what earlier chunks' rows gave each: `file_keys`)."""
    would_create = [] if file is None else await file.load(model, stored, make)
    records = [*stored.values(), *would_create]
    return Matches(keys_of, records, what=what, name_of=name_of, moves_keys=moves_keys)


async def stored_values(
    model: type[Model],
    workspace_id: int,
    columns: Sequence[str],
    among: Mapping[str, tuple[str, Collection[Any]]],
    *,
    lock: bool,
) -> dict[int, dict[str, Any]]:
    """The `columns` of the workspace's records whose expression (a key of `among`) is one
    of its values (expression → SQL type, values), by id, oldest first; `lock`: held (FOR
    UPDATE on PostgreSQL; SQLite has one writer) until the chunk commits.

    ONE statement, in id order: PostgreSQL locks the rows in the order it returns them, so
    two chunks that lock some of the same records (two imports at once) take them in the
    same order, and one waits for the other instead of each for the other (a deadlock). Two
    statements, each locking its share in order, would not promise that."""
    query = Sql(model._meta.db)
    workspace = query.bind(workspace_id)
    alternatives = [
        query.among(expression, sorted(values), sql_type)
        for expression, (sql_type, values) in among.items()
        if values
    ]
    if not alternatives:
        return {}
    selected = ", ".join(f'"{column}"' for column in ("id", *columns))
    rows = await query.rows(
        f'SELECT {selected} FROM "{model._meta.db_table}" WHERE "workspace_id" = {workspace} '
        f'AND ({" OR ".join(alternatives)}) ORDER BY "id"' + query.for_update(lock)
    )
    convert = python_values(model, columns)
    return {row[0]: convert(row[1:]) for row in rows}
