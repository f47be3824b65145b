"""The one rule of local time (domain/local_time.py), as a pure function and as a viewer's
clock: whose zone, a date alone, offsets kept, and the clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from api.core.ids import from_global_id
from domain.accounts import Authenticator
from domain.api_keys import create_api_key
from domain.local_time import LocalMoment, parse_iso_moment, to_instant, viewer_zone
from domain.viewer import Viewer
from models import User, Workspace
from models.enums import Role
from tests.helpers import Account

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2030-01-06T10:00:00", SHANGHAI, utc(2030, 1, 6, 2)),
        ("2030-01-06", SHANGHAI, utc(2030, 1, 6, 1)),
        ("2030-01-06T00:00", SHANGHAI, utc(2030, 1, 5, 16)),  # midnight written is midnight
        ("2030-01-06T10:00:00", NEW_YORK, utc(2030, 1, 6, 15)),
        ("2030-01-06", NEW_YORK, utc(2030, 1, 6, 14)),
        # the gap: 02:30 never shows on 2030-03-10; it moves forward by the hour
        ("2030-03-10T02:00:00", NEW_YORK, utc(2030, 3, 10, 7)),
        ("2030-03-10T02:30:00", NEW_YORK, utc(2030, 3, 10, 7, 30)),
        ("2030-03-10T03:00:00", NEW_YORK, utc(2030, 3, 10, 7)),
        # the repeated hour: 01:30 on 2030-11-03 is the first one, EDT
        ("2030-11-03T01:30:00", NEW_YORK, utc(2030, 11, 3, 5, 30)),
        ("2030-11-03T02:00:00", NEW_YORK, utc(2030, 11, 3, 7)),
        ("2030-11-03", NEW_YORK, utc(2030, 11, 3, 14)),
        # written with an offset or Z: exactly that, whatever the clock
        ("2030-11-03T01:30:00-05:00", NEW_YORK, utc(2030, 11, 3, 6, 30)),
        ("2030-03-10T02:30:00Z", NEW_YORK, utc(2030, 3, 10, 2, 30)),
        ("2030-01-06T10:00:00+08:00", NEW_YORK, utc(2030, 1, 6, 2)),
    ],
)
def test_a_written_moment_names_one_instant(text: str, zone: ZoneInfo, expected: datetime):
    instant = to_instant(parse_iso_moment(text), zone)

    assert instant == expected
    assert instant.utcoffset() == timedelta(0)


def test_a_date_alone_is_told_from_midnight_written():
    assert parse_iso_moment("2030-01-06") == LocalMoment(datetime(2030, 1, 6), date_only=True)
    assert parse_iso_moment("20300106") == LocalMoment(datetime(2030, 1, 6), date_only=True)
    assert parse_iso_moment("2030-01-06T00:00") == LocalMoment(datetime(2030, 1, 6))


def test_a_plain_datetime_follows_the_same_rule():
    # What internal callers pass: aware is an instant, naive a wall-clock time.
    aware = datetime(2030, 1, 6, 10, tzinfo=timezone(timedelta(hours=8)))

    assert to_instant(aware, NEW_YORK) == utc(2030, 1, 6, 2)
    assert to_instant(datetime(2030, 1, 6, 10), NEW_YORK) == utc(2030, 1, 6, 15)


async def test_a_viewers_clock_is_the_users_zone_else_the_workspaces(workspace: Account):
    # given: a New York workspace whose admin lives in Shanghai
    user = await User.get(id=from_global_id(workspace.user_id)[1])
    await Workspace.filter(id=user.workspace_id).update(timezone="America/New_York")
    await User.filter(id=user.id).update(timezone="Asia/Shanghai")
    as_user = Viewer(workspace_id=user.workspace_id, role=Role.ADMIN, user_id=user.id)
    as_key = Viewer(workspace_id=user.workspace_id, role=Role.ADMIN, api_key_id=1)
    carried = Viewer(user.workspace_id, Role.ADMIN, user_id=user.id, timezone="Europe/Paris")

    # when / then
    assert await viewer_zone(as_user) == SHANGHAI
    assert await viewer_zone(as_key) == NEW_YORK
    assert await viewer_zone(carried) == ZoneInfo("Europe/Paris")


async def test_a_token_carries_its_clock(workspace: Account):
    # given: a user in Shanghai, in a New York workspace; a key acting as the user, and an
    # ADMIN key acting as the workspace
    user = await User.get(id=from_global_id(workspace.user_id)[1])
    await User.filter(id=user.id).update(timezone="Asia/Shanghai")
    await Workspace.filter(id=user.workspace_id).update(timezone="America/New_York")
    admin = Viewer(workspace_id=user.workspace_id, role=Role.ADMIN, user_id=user.id)
    _, secret = await create_api_key(admin, name="ERP", role=Role.REP)
    _, workspace_secret = await create_api_key(
        admin, name="BI", role=Role.ADMIN, acts_as_workspace=True
    )
    authenticator = Authenticator("a test secret", timedelta(hours=1))

    # when
    as_user = await authenticator.viewer_for(await authenticator.issue(user))
    as_key = await authenticator.viewer_for(secret)
    as_workspace = await authenticator.viewer_for(workspace_secret)

    # then: read with the token, no lookup later; a key keeps the clock of whom it acts as
    assert as_user is not None and as_user.timezone == "Asia/Shanghai"
    assert as_key is not None and as_key.timezone == "Asia/Shanghai"
    assert as_workspace is not None and as_workspace.timezone == "America/New_York"
