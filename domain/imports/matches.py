"""Which record a row is: the one rule every import kind matches rows by (`Matches.find`),
and the rule that rows of one file never overwrite each other (`overwrites`).

A row is the record (stored, or created by an earlier row of the file) its keys
(`matchOn`, in order) agree on; a key several records share, keys that find different
records, or an external id other than its record's are row errors (CONFLICT) naming the
records, never a pick or an overwrite. A later row naming a record an earlier
row of the file created or changed may add to it (cells the earlier rows left blank,
contacts), but a cell that differs from what the earlier row gave fails the row, naming
that row: within a chunk the records remember it (`Record.given`), across chunks (and a
dry run's records) `file_keys` keeps it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

from domain.errors import ErrorCode, Problem

T = TypeVar("T")


@dataclass(frozen=True)
class Found(Generic[T]):
    """What a row's keys find: one record (and the match field that found it), none, or a
    problem that fails the row."""

    record: T | None = None
    key: str | None = None
    problem: Problem | None = None


_NOTHING: Found[Any] = Found()


# What rows of the file gave a record, in their order: (row, columns, custom fields),
# kept as the rows hold them (nothing copied for the many records one row alone gives).
Given = list[tuple[int, Mapping[str, Any], Mapping[str, Any]]]


def overwrites(
    given: Given,
    values: Mapping[str, Any],
    custom: Mapping[str, Any],
    what: str,
    shown: Mapping[str, str],
    leave_out: tuple[str, ...],
) -> list[Problem]:
    """The cells of a row (its columns but `leave_out`, its custom fields one by one) that
    differ from what an earlier row of the file gave the same record; `shown`: a column →
    the field the file calls it."""
    problems: list[Problem] = []
    if not given:
        return problems
    cells = [(c, v, 0) for c, v in values.items() if c not in leave_out]
    cells += [(k, v, 1) for k, v in custom.items()]
    for column, value, part in cells:  # part: 0 its columns, 1 its custom fields
        # The first row that gave it (any later one gave the same), and what it gave.
        earlier = next(((row, gave[part]) for row, *gave in given if column in gave[part]), None)
        if earlier is not None and not _same(old := earlier[1][column], value):
            name = shown.get(column, column) if part == 0 else f"customFields.{column}"
            problems.append(
                Problem(
                    name,
                    f"Row {earlier[0]} of this file gave this {what} {name} “{_text(old)}”, "
                    f"this row “{_text(value)}”: rows of one file never overwrite each "
                    "other (one row per record, or the same values).",
                    ErrorCode.CONFLICT,
                )
            )
    return problems


def _same(old: Any, value: Any) -> bool:
    """Whether a row's `value` is what an earlier row gave (`old`): as it came, or as an
    earlier chunk kept it in JSON (a decimal's text, an instant's ISO text with its offset,
    an enum's value, a list for a tuple: see `file_keys`)."""
    if old == value:
        return True
    if isinstance(value, tuple | list) and isinstance(old, tuple | list):
        return len(old) == len(value) and all(map(_same, old, value))
    if isinstance(value, dict) and isinstance(old, dict):
        return old.keys() == value.keys() and all(_same(old[k], value[k]) for k in value)
    if not isinstance(old, str):
        return False
    if isinstance(value, Enum):
        return old == value.value
    try:
        if isinstance(value, Decimal):
            return Decimal(old) == value  # 100 is 100.00
        if isinstance(value, datetime):
            return datetime.fromisoformat(old) == value  # the same instant, on any clock
        if isinstance(value, date):
            return date.fromisoformat(old) == value
    except (ValueError, ArithmeticError, TypeError):
        return False
    return False


def _text(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(_text(item) for item in value)
    return str(getattr(value, "value", value))


Keys = Mapping[str, Hashable | None]  # match field → a record's or a row's key


@dataclass(eq=False, slots=True)
class Record:
    """A stored record rows may match, or one created by an earlier row of the chunk."""

    values: dict[str, Any]  # every column the applier reads or writes
    stored: int | None = None
    changed: set[str] = field(default_factory=set)  # columns changed, when stored
    listed: bool = False  # a new one: in the list of records to insert
    row: int | None = None  # a new one: the row that created it
    given: Given = field(default_factory=list)  # what rows of the file gave it
    # One an earlier chunk of a dry run would have created: nothing to write to.
    unwritten: bool = False
    # Its keys (`Matches.keys_of`) while its values stay as they are: None until they are
    # worked out, and again once a row changes them. A kind may give a new record its
    # row's, which it worked out already.
    keys: Keys | None = None
    # A stored one's values as read, before any row changed them: its history's old values.
    original: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.original = dict(self.values) if self.stored is not None else {}

    def changes(self) -> dict[str, Any]:
        """The columns rows changed (of a stored one), as they now are."""
        return {column: self.values[column] for column in self.changed}

    def state(self, dry_run: bool) -> dict[str, Any]:
        """What its kind keeps of it beside its values and what rows gave it (`file_keys`)."""
        return {}

    def restore(self, state: dict[str, Any], dry_run: bool) -> None:
        """Takes back what an earlier chunk kept of it (`state`)."""


R = TypeVar("R", bound=Record)
# What `Matches.holding` finds for a key no record holds (never added to).
_NO_KEYS: dict[Hashable, Any] = {}
_NO_RECORDS: list[Any] = []


class Matches(Generic[R]):
    """The records a chunk's rows may be, by external id and by each key `keys_of` gives."""

    def __init__(
        self,
        keys_of: Callable[[R], Keys],
        stored: Iterable[R],
        *,
        what: str,
        name_of: Callable[[R], str | None],
        moves_keys: bool = False,
    ) -> None:
        self.keys_of = keys_of
        self.what = what  # "deal", "activity": for messages
        self._name_of = name_of
        # A record a row changed is found by its new keys only (else by its old ones too).
        self.moves_keys = moves_keys
        # Also what tells a row that the external id it gives is taken.
        self.by_external_id: dict[str, R] = {}
        self.by_key: dict[str, dict[Hashable, list[R]]] = defaultdict(dict)
        self.created: list[R] = []  # in the order the rows created them
        self.landed: dict[int, R] = {}  # by id(): every record a row landed on
        self.hidden: set[int] = set()  # by id(): records no row finds (`hide`)
        for record in stored:  # oldest first
            if (external_id := record.values.get("external_id")) is not None:
                self.by_external_id[external_id] = record
            self._hold(record, None)

    def keys(self, record: R) -> Keys:
        """The record's keys, worked out once while its values stay as they are."""
        if record.keys is None:
            record.keys = self.keys_of(record)
        return record.keys

    def _hold(self, record: R, before: Keys | None) -> None:
        """Holds the record under each of its keys; `before`: the keys it was last held
        under (None: it was never held, so it is in no list yet)."""
        by_key = self.by_key
        keys = record.keys if record.keys is not None else self.keys(record)  # a new one has them
        for name, key in keys.items():
            if key is None:
                continue
            if before is None:
                by_key[name].setdefault(key, []).append(record)
            elif before.get(name) != key:  # else held under it already
                held = by_key[name].setdefault(key, [])
                if record not in held:  # it may have held a key it moved to before the last one
                    held.append(record)

    def hide(self, records: Iterable[R]) -> None:
        """Rows find none of `records` (stored ones the job's viewer does not see), as if
        they were not there; they keep their external ids, which no row may take."""
        for record in records:
            self.hidden.add(id(record))
            for name, key in self.keys(record).items():
                held = self.by_key.get(name, _NO_KEYS).get(key, _NO_RECORDS)
                if record in held:
                    held.remove(record)

    def holding(self, name: str, key: Hashable) -> list[R]:
        """The records holding `key` as their `name` field's key, oldest first."""
        if name == "externalId":
            held = self.by_external_id.get(key) if isinstance(key, str) else None
            return _NO_RECORDS if held is None or id(held) in self.hidden else [held]
        return self.by_key.get(name, _NO_KEYS).get(key, _NO_RECORDS)

    def find(self, match_on: Sequence[str], external_id: str | None, keys: Keys) -> Found[R]:
        """The record a row's external id and `keys` (match field → value compared) name:
        every field of `match_on` the row gives is looked up, and they must agree."""
        first: str | None = None  # the first field that found a record, and that record
        record: R | None = None
        for name in match_on:
            key = keys.get(name, external_id) if name == "externalId" else keys.get(name)
            if key is None:
                continue
            held = self.holding(name, key)
            if not held:
                continue
            if len(held) > 1:
                # A composite key (customer, pipeline, name) shows the part the row wrote: its last.
                text = key[-1] if isinstance(key, tuple) else key
                named = "; ".join(self.describe(one) for one in held[:3])
                more = f" and {len(held) - 3} more" if len(held) > 3 else ""
                return Found(
                    problem=Problem(
                        name,
                        f"Ambiguous: {len(held)} records have {name} “{text}”: {named}{more}. "
                        "Make it unique, or leave it out of matchOn.",
                        ErrorCode.CONFLICT,
                    )
                )
            if record is None:
                first, record = name, held[0]
            elif held[0] is not record:
                return Found(
                    problem=Problem(
                        name,
                        f"The row's {first} is {self.describe(record)}, but its {name} is "
                        f"{self.describe(held[0])}: fix the row, or the records, rather than "
                        "merge them.",
                        ErrorCode.CONFLICT,
                    )
                )
        if record is None:
            return _NOTHING
        held_id = record.values.get("external_id")
        if external_id is not None and held_id is not None and held_id != external_id:
            return Found(
                problem=Problem(
                    "externalId",
                    f"The row's {first} is {self.describe(record)}, whose external id is not "
                    f"“{external_id}”: an import never replaces one external id with another.",
                    ErrorCode.CONFLICT,
                )
            )
        return Found(record, first)

    def describe(self, record: R) -> str:
        """A record as a person finds it: its name, external id, and the row that created it."""
        name, external_id = self._name_of(record), record.values.get("external_id")
        notes = [] if external_id is None else [f"external id “{external_id}”"]
        if record.row is not None:
            notes.append(f"created by row {record.row}")
        named = f"{self.what} “{name}”" if name else f"a {self.what} without a name"
        return f"{named} ({', '.join(notes)})" if notes else named

    def land(
        self,
        record: R,
        changes: dict[str, Any],
        row: int,
        gave: Mapping[str, Any],
        custom: Mapping[str, Any],
    ) -> bool:
        """Takes in a row that passed: a new `record` joins those to insert (True), a
        matched one takes the row's `changes` (False); either way it remembers what the
        row `gave` and its `custom` fields (see `overwrites`). Later rows may match it
        either way."""
        is_new = record.stored is None and not record.listed
        before: Keys | None = None  # the keys it was held under, when it was
        if is_new:
            record.listed = True
            record.row = row
            self.created.append(record)
        else:
            before = self.keys(record)
            record.values.update(changes)
            if record.stored is not None:
                record.changed.update(changes)
            if changes:
                record.keys = None  # worked out again from its values
            if self.moves_keys:
                after = self.keys(record)
                for name, old in before.items():
                    if old is not None and old != after.get(name):
                        held = self.holding(name, old)
                        if record in held:
                            held.remove(record)
        record.given.append((row, gave, custom))
        self.landed[id(record)] = record
        self._hold(record, before)
        if (external_id := record.values.get("external_id")) is not None:
            self.by_external_id.setdefault(external_id, record)
        return is_new

    def records(self) -> list[R]:
        """Every record rows may have matched or created (some listed more than once)."""
        return [
            *self.by_external_id.values(),
            *(record for keys in self.by_key.values() for held in keys.values() for record in held),
        ]
