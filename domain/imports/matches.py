"""Which record a row of activities or deals is: a stored one, or one an earlier row of
the chunk created, found by external id or by one other key (an activity's customer,
kind, time and content; a deal's customer, pipeline and name), in `matchOn`'s order.

A record a row creates or changes is matchable by the rows after it, so a file naming
one record twice changes it twice rather than creating it twice.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar


@dataclass(eq=False)
class Record:
    """A stored record rows may match, or one created by an earlier row of the chunk."""

    values: dict[str, Any]  # every column the applier reads or writes
    stored: int | None = None
    changed: set[str] = field(default_factory=set)  # columns changed, when stored
    listed: bool = False  # a new one: in the list of records to insert


R = TypeVar("R", bound=Record)
K = TypeVar("K", bound=Hashable)


class Matches(Generic[R, K]):
    """The records a chunk's rows may be, by external id and by `key_field`'s key."""

    def __init__(self, key_field: str, key_of: Callable[[R], K], stored: Iterable[R]) -> None:
        self.key_field = key_field  # the match field besides "externalId"
        self._key_of = key_of
        # Also what tells a row that the external id it gives is taken.
        self.by_external_id: dict[str, R] = {}
        self.by_key: dict[K, R] = {}
        self.created: list[R] = []  # in the order the rows created them
        for record in stored:  # oldest first: of several with one key, the oldest
            if record.values["external_id"] is not None:
                self.by_external_id[record.values["external_id"]] = record
            self.by_key.setdefault(key_of(record), record)

    def find(self, match_on: Sequence[str], external_id: str | None, key: K | None) -> R | None:
        """The record of the first field of `match_on` that the row gives and that finds one."""
        for name in match_on:
            if name == "externalId" and external_id is not None:
                found = self.by_external_id.get(external_id)
            elif name == self.key_field and key is not None:
                found = self.by_key.get(key)
            else:
                found = None
            if found is not None:
                return found
        return None

    def land(self, record: R, changes: dict[str, Any]) -> bool:
        """Takes in a row that passed: a new `record` joins those to insert (True), a
        matched one takes the row's `changes` (False). Later rows may match it either way."""
        is_new = record.stored is None and not record.listed
        if is_new:
            record.listed = True
            self.created.append(record)
        else:
            record.values.update(changes)
            if record.stored is not None:
                record.changed.update(changes)
        self.by_key.setdefault(self._key_of(record), record)
        if record.values["external_id"] is not None:
            self.by_external_id.setdefault(record.values["external_id"], record)
        return is_new

    def records(self) -> list[R]:
        """Every record rows may have matched or created (some listed more than once)."""
        return [*self.by_external_id.values(), *self.by_key.values()]
