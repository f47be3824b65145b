"""What the rows of an import's file did so far, kept for the chunks after theirs.

Rows of one file never overwrite each other, and a dry run counts what the real run would,
whichever chunk each row falls in. A chunk commits in a transaction of its own, maybe in
another process after a restart or a time slice, so this is kept in the database
(`import_file_key`), never in memory: a chunk reads, in ONE statement (two in a dry run),
the state of the records its rows may be (the row that created one, what each row gave it,
what its kind adds), and writes, in ONE statement of its own transaction, the state of
those its rows landed on; a chunk redone after a crash finds what the chunks before it
left, and nothing of its own. A dry run writes no record: what its earlier chunks would
have created or changed is only here, found by digests of the keys they would have given
(docs/ARCHITECTURE.md, Imports). Lines are found by a digest of what they are found by
("id:7", "row:12", 'phone:"13900000001"'): short, whatever a key holds (a deal's name, an
activity's content).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import orjson
from tortoise.models import Model

from domain.bulk_sql import insert_rows
from domain.imports.matches import Given, Matches, Record
from domain.sql import any_of, fetch, list_parameter, placeholder
from models import ImportFileKey, ImportJob
from models.enums import FINISHED_IMPORT_STATUSES


def plain(value: Any) -> Any:
    """The value as JSON holds it (an enum's value, a decimal's text, an instant in UTC, a
    tuple as a list): what a dry run keeps of a record, and its keys are found by."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list | set | frozenset):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def first_given(given: Given) -> Given:
    """What rows gave a record, as a state keeps it: each cell as the first row that gave
    it gave it (all `matches.overwrites` compares with), so that a record many rows name
    keeps a state as large as its cells, not as its rows."""
    if len(given) < 2:
        return given
    kept: Given = []
    columns: set[str] = set()
    custom_keys: set[str] = set()
    for row, values, custom in given:
        new = {column: value for column, value in values.items() if column not in columns}
        new_custom = {key: value for key, value in custom.items() if key not in custom_keys}
        if new or new_custom:
            kept.append((row, new, new_custom))
            columns.update(new)
            custom_keys.update(new_custom)
    return kept


_KEY = '"key"'


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _key(field: str, value: Hashable) -> str:
    return _digest(f"{field}:{json.dumps(plain(value), ensure_ascii=False)}")


R = TypeVar("R", bound=Record)


class FileKeys:
    """The file's records a chunk's rows may be, as earlier chunks left them, and what the
    chunk leaves for the next ones. One per chunk."""

    def __init__(self, job_id: int, *, dry_run: bool) -> None:
        self.job_id = job_id
        self.dry_run = dry_run
        self._by_record: dict[int, tuple[int | None, dict[str, Any]]] = {}
        self._by_row: dict[int, dict[str, Any]] = {}  # a dry run's: by the creating row
        # (key, record id, creating row) → its line: records may share a key (ambiguous).
        self._lines: dict[tuple[str, int | None, int | None], dict[str, Any]] = {}

    async def find(self, keys: Iterable[tuple[str, Hashable]]) -> list[int]:
        """A dry run's first read, before the chunk looks up stored records: the records
        earlier chunks would have created or given one of `keys` (match field, value).
        Returns the ids of the stored ones, for the chunk to load with its matches. One
        statement; none in a real run, whose records hold their keys in the database."""
        if not self.dry_run:
            return []
        await self._read({_key(field, value) for field, value in keys if value is not None})
        return sorted(self._by_record)

    async def _read(self, digests: set[str]) -> None:
        if not digests:
            return
        db = ImportFileKey._meta.db
        lines = await fetch(
            db,
            'SELECT "record_id", "row", "state" FROM "import_file_key" '
            f'WHERE "job_id" = {placeholder(db, 1)} AND {any_of(db, _KEY, 2, "TEXT")} '
            'ORDER BY "id"',
            [self.job_id, list_parameter(db, sorted(digests))],
        )
        for record_id, row, state in lines:  # oldest first: the latest state wins
            state = orjson.loads(state)
            if record_id is not None:
                self._by_record[record_id] = (row, state)
            elif row is not None:
                self._by_row[row] = state

    async def load(
        self,
        model: type[Model],
        stored: Mapping[int, R],
        make: Callable[[dict[str, Any]], R],
    ) -> list[R]:
        """Reads the latest state of the `stored` records and of those `find` found (a key
        an earlier chunk gave a record may since have been replaced: each record's latest
        state says which keys it holds), in one statement. Gives the `stored` records what
        earlier chunks' rows gave them and the row that created them; in a dry run, also
        what those rows would have changed, and returns the records they would have created
        that `find` found, in the order of their rows (`make`s them of their values)."""
        digests = {_digest(f"id:{pk}") for pk in stored}
        digests.update(_digest(f"row:{row}") for row in self._by_row)
        await self._read(digests)
        for pk, record in stored.items():
            if pk in self._by_record:
                row, state = self._by_record[pk]
                record.row, record.given = row, state["given"]
                if self.dry_run:
                    record.values.update(_typed(model, state["values"]))
                record.restore(state, self.dry_run)
        would_create = []
        for row, state in sorted(self._by_row.items()):
            record = make(_typed(model, state["values"]))
            record.listed, record.unwritten, record.row = True, True, row
            record.given = state["given"]
            record.restore(state, True)
            would_create.append(record)
        return would_create

    def keep(self, matches: Matches[R]) -> None:
        """Notes what the chunk's rows did to each record they landed on (`Record.state`:
        what its kind adds), for `save`: under the record's id (None: one a dry run would
        create, under its row), and in a dry run also under its match keys, for `find`."""
        for record in matches.landed.values():
            state = {"given": first_given(record.given)} | record.state(self.dry_run)
            record_id = record.stored or (None if self.dry_run else record.values["id"])
            if self.dry_run:
                state["values"] = plain(record.values)
            line = {"job_id": self.job_id, "record_id": record_id, "row": record.row}
            # JSON text, encoded by orjson as it is (enums, tuples, instants; `plain` for what
            # it does not know), not walked in Python first: a real run keeps one for every
            # row. `matches.overwrites` compares a later row's cells with it.
            line["state"] = orjson.dumps(state, default=plain).decode()
            handle = f"id:{record_id}" if record_id is not None else f"row:{record.row}"
            self._lines[_digest(handle), record_id, record.row] = line
            if self.dry_run:
                keys = [("externalId", record.values.get("external_id"))]
                for field, value in [*keys, *matches.keys(record).items()]:
                    if value is not None:
                        self._lines[_key(field, value), record_id, record.row] = line

    async def save(self) -> None:
        """Writes what `keep` noted: one statement, in the chunk's transaction."""
        if not self._lines:
            return
        lines = [{"key": key, **line} for (key, _, _), line in self._lines.items()]
        await insert_rows(ImportFileKey._meta.db, ImportFileKey, lines, datetime.now(UTC))
        self._lines = {}


def _typed(model: type[Model], values: Mapping[str, Any]) -> dict[str, Any]:
    """A record's columns as a state holds them, back to their Python values."""
    fields = model._meta.fields_map
    return {
        name: value if value is None or name not in fields else fields[name].to_python_value(value)
        for name, value in values.items()
    }


async def forget(job_id: int) -> None:
    """The job's lines, once it has finished: no chunk will read them."""
    await ImportFileKey.filter(job_id=job_id).delete()


async def forget_finished() -> int:
    """The lines of every finished job, should any be left (a job finishes and forgets in
    one transaction; this sweeps up after any other way a job may come to finish)."""
    finished = ImportJob.filter(
        status__in=FINISHED_IMPORT_STATUSES, file_keys__id__isnull=False
    ).distinct()
    jobs = await finished.values_list("id", flat=True)
    if jobs:
        await ImportFileKey.filter(job_id__in=list(jobs)).delete()
    return len(jobs)
