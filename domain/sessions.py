"""Signed-in sessions: one row a sign-in (`UserSession`), named by its signed token, so that
one session can end (`logout`), or all of a user's (sign out everywhere, or their account
deactivated), before the token expires."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from domain.api_keys import is_stale, refuse_api_keys, viewer_of_key
from domain.errors import forbidden, not_found
from domain.viewer import Viewer
from models import ApiKey, User, UserSession
from models.enums import Role

# A user's sessions listed at once: the newest; older ones still end with the others.
MAX_LISTED_SESSIONS = 50


class SessionRefused(Exception):
    """The token names a session of ours that may no longer act (ended, or its user
    deactivated or deleted)."""


async def start_session(user: User) -> UserSession:
    # Signing in is its first use: the requests of the next minute record none.
    return await UserSession.create(user_id=user.id, last_used_at=datetime.now(UTC))


async def viewer_for_session(user_id: int, session_id: int) -> Viewer:
    """The viewer of a signed session token, its use recorded at most once a minute; one
    statement (the session joined to its user) unless the use is recorded. SessionRefused
    when it has ended. Call it only once the token's signature matched."""
    session = await UserSession.get_or_none(id=session_id, user_id=user_id).select_related("user")
    if session is None or session.ended_at is not None or not session.user.is_active:
        raise SessionRefused
    now = datetime.now(UTC)
    if is_stale(session.last_used_at, now):
        await UserSession.filter(id=session.id).update(last_used_at=now)
    user = session.user
    return Viewer(
        workspace_id=user.workspace_id,
        role=user.role,
        user_id=user.id,
        session_id=session.id,
        timezone=user.timezone,
    )


async def still_acting(viewer: Viewer) -> bool:
    """Whether the credential a long-lived connection signed in with still acts: its session
    not ended (its user active), its key not revoked (its user active). A WebSocket asks
    before each push, so a logout, a revoked key or a deactivated account ends what the
    connection would still be told."""
    if viewer.session_id is not None:
        return await UserSession.filter(
            id=viewer.session_id, ended_at=None, user__is_active=True
        ).exists()
    if viewer.api_key_id is not None:
        return await viewer_of_key(viewer.api_key_id) is not None
    return True


def _signed_in(viewer: Viewer, action: str) -> int:
    refuse_api_keys(viewer, action, "a signed-in user")
    if viewer.user_id is None:
        raise forbidden(f"Only a signed-in user can {action}.")
    return viewer.user_id


async def end_session(viewer: Viewer) -> int:
    """Ends the viewer's own session (its token is refused from now on); how many ended."""
    _signed_in(viewer, "log out")
    if viewer.session_id is None:
        raise forbidden("Only a signed-in session can log out.")
    return await UserSession.filter(id=viewer.session_id, ended_at=None).update(
        ended_at=datetime.now(UTC)
    )


async def end_all_sessions(viewer: Viewer) -> int:
    """Signs the viewer out everywhere: every session of theirs ends, this one included. Their
    API keys are not sessions: they stay until revoked."""
    user_id = _signed_in(viewer, "sign out everywhere")
    return await UserSession.filter(user_id=user_id, ended_at=None).update(
        ended_at=datetime.now(UTC)
    )


async def sessions_of(viewer: Viewer) -> list[UserSession]:
    """The viewer's sessions still open, newest first."""
    user_id = _signed_in(viewer, "list sessions")
    return (
        await UserSession.filter(user_id=user_id, ended_at=None)
        .order_by("-id")
        .limit(MAX_LISTED_SESSIONS)
    )


async def deactivate_user(viewer: Viewer, user_id: int) -> User:
    """An ADMIN deactivates a colleague: they can no longer sign in, their sessions end and
    the keys acting as them are revoked, at once. Their records stay theirs."""
    refuse_api_keys(viewer, "deactivate users", "a signed-in admin")
    viewer.require_role(Role.ADMIN, "deactivate users")
    if user_id == viewer.user_id:
        raise forbidden("You cannot deactivate yourself; another admin can.")
    user = await User.get_or_none(id=user_id, workspace_id=viewer.workspace_id)
    if user is None:
        raise not_found("id", "User")
    now = datetime.now(UTC)
    async with in_transaction():
        await User.filter(id=user.id).update(is_active=False)
        await UserSession.filter(user_id=user.id, ended_at=None).update(ended_at=now)
        await ApiKey.filter(acts_as_id=user.id, revoked_at=None).update(revoked_at=now)
    user.is_active = False
    return user
