"""One notion of local time, for every door: what people write without an offset is
the time on their own clock.

A date and time written without an offset ("2030-01-06T10:00") is a wall-clock time
in the zone of whoever wrote it: the user's time zone, else the workspace's (an API
key, an operator's import). A date alone ("2030-01-06") is 09:00 there, the start of
a working day. A value written with an offset or Z is an instant already and stays
exactly as given. The GraphQL DateTime scalar carries what it read unresolved (a
scalar does not know who is asking) and the domain resolves it here; imports read the
many forms people type (`domain.imports.values`) and resolve them here too, so the
same text stores the same instant through either door.

Clocks change, and a wall-clock time may not name exactly one instant:
- in a spring-forward gap (2030-03-10 02:30 in New York is never shown) it is moved
  forward by the gap: 03:30 EDT, as calendars do;
- in a fall-back hour (2030-11-03 01:30 in New York is shown twice) it is the first
  of the two: 01:30 EDT, the earlier instant.
This is PEP 495's `fold=0`, which zoneinfo applies; `to_instant` relies on it and the
tests hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import cast
from zoneinfo import ZoneInfo

from domain.dates import is_date_alone, parse_iso_instant
from domain.viewer import Viewer
from models import User, Workspace

# A date alone stands for the start of that working day, on the writer's clock.
DATE_ALONE_AT = time(9, 0)
UTC_ZONE = ZoneInfo("UTC")
RULE = (
    "Without an offset, a time is on the viewer's clock (the user's time zone, else the "
    "workspace's; an API key: the workspace's) and a date alone is 09:00 there; a "
    "nonexistent local time (clocks springing forward) moves forward by the gap and an "
    "ambiguous one (clocks falling back) is the earlier instant."
)


@dataclass(frozen=True, slots=True)
class LocalMoment:
    """A date and time as someone wrote it, before it is an instant.

    `written` is aware when an offset was written (an instant already) and naive when
    not (a wall-clock time); `date_only` when no time of day was written (then
    `written` is that day's midnight).
    """

    written: datetime
    date_only: bool = False


def parse_iso_moment(text: str) -> LocalMoment:
    """ISO 8601 text (`domain.dates.parse_iso_instant`) as written; ValueError saying why
    it is not one."""
    return LocalMoment(parse_iso_instant(text), date_only=is_date_alone(text))


# What the domain takes for a moment: a LocalMoment, or a datetime (aware: an instant;
# naive: a wall-clock time, like a LocalMoment without an offset).
Moment = LocalMoment | datetime


def to_instant(moment: Moment, zone: ZoneInfo) -> datetime:
    """The instant, in UTC, that `moment` names on a clock in `zone` (see the module)."""
    if isinstance(moment, LocalMoment):
        written = moment.written
        if moment.date_only:
            written = datetime.combine(written.date(), DATE_ALONE_AT, written.tzinfo)
    else:
        written = moment
    if written.tzinfo is not None:
        return written.astimezone(UTC)
    # fold=0: a gap's time moves forward by the gap, an ambiguous one is the first.
    return written.replace(tzinfo=zone, fold=0).astimezone(UTC)


def needs_zone(moment: Moment | None) -> bool:
    """Whether resolving `moment` needs a time zone (it was written without an offset)."""
    if moment is None:
        return False
    written = moment.written if isinstance(moment, LocalMoment) else moment
    return written.tzinfo is None


async def viewer_zone(viewer: Viewer) -> ZoneInfo:
    """The viewer's clock: the zone it carries (set when its token was read), else the
    user's time zone, else the workspace's."""
    name = viewer.timezone
    if not name and viewer.user_id is not None:
        # Tortoise types a flat values_list as tuples; it gives the column's value.
        name = cast(
            str | None,
            await User.filter(id=viewer.user_id).first().values_list("timezone", flat=True),
        )
    if not name:
        name = cast(
            str | None,
            await Workspace.filter(id=viewer.workspace_id)
            .first()
            .values_list("timezone", flat=True),
        )
    return ZoneInfo(name) if name else UTC_ZONE


class ViewerClock:
    """Resolves one viewer's moments, looking their zone up once and only when a moment
    was written without an offset."""

    def __init__(self, viewer: Viewer) -> None:
        self._viewer = viewer
        self._zone: ZoneInfo | None = None

    async def instant(self, moment: Moment | None) -> datetime | None:
        if moment is None:
            return None
        if needs_zone(moment) and self._zone is None:
            self._zone = await viewer_zone(self._viewer)
        return to_instant(moment, self._zone or UTC_ZONE)


async def instant_for(viewer: Viewer, moment: Moment | None) -> datetime | None:
    """`moment` as an instant in UTC on `viewer`'s clock; None stays None."""
    return await ViewerClock(viewer).instant(moment)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant `day` begins on the clock of `zone`, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
