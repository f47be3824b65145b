"""Workspaces, users, sessions and API keys: who may act, and as whom."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.api_keys import (
    API_KEY_PREFIX,
    KeyRefused,
    key_for_token,
    require_granting,
    viewer_for_key,
)
from domain.errors import DomainError, ErrorCode, Problem, Problems
from domain.passwords import (
    check_new_password,
    dummy_hash,
    hash_password,
    needs_rehash,
    password_matches,
)
from domain.pipelines import create_default_pipeline
from domain.sessions import SessionRefused, start_session, viewer_for_session
from domain.sign_in_throttle import SignInThrottle
from domain.sign_up_throttle import SignUpThrottle
from domain.teams import check_team_for_member
from domain.validation import (
    EMAIL_MAX_LENGTH,
    check_email,
    check_name,
    check_timezone,
    clean_text,
)
from domain.viewer import Viewer
from models import User, Workspace
from models.enums import Role

# One e-mail may have accounts in several workspaces; a sign-in without a workspace checks
# the password against at most this many of them (see `_candidates` for which), so that
# an e-mail planted in many workspaces cannot make one attempt cost many Argon2 checks.
# The others sign in naming their workspace.
MAX_SIGN_IN_CANDIDATES = 5
_WRONG_SIGN_IN = "Wrong e-mail or password."
_DUPLICATE_MEMBER = "A member of this workspace already has this e-mail."


class TokenRefused(StrEnum):
    """Why a bearer token stands for nobody. Each is told only to a caller who holds a token
    we issued: an expired or revoked one is theirs, and anything else is UNKNOWN_TOKEN alike,
    so a guess learns nothing of the keys or accounts of any workspace."""

    UNKNOWN_TOKEN = "UNKNOWN_TOKEN"  # not one we issued (mistyped, forged, another server's)
    EXPIRED = "EXPIRED"  # a session older than SESSION_TTL, or signed before sessions were rows
    # A revoked API key or one acting as a deactivated user; an ended session (logout,
    # signing out everywhere) or one of a deactivated account.
    REVOKED = "REVOKED"


class Authenticator:
    """Issues and reads bearer tokens: signed, expiring sessions and API keys."""

    def __init__(self, secret_key: str, session_ttl: timedelta) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="crm.session")
        self._ttl = session_ttl

    async def issue(self, user: User) -> str:
        """A new session for `user` (`UserSession`), and its token, which names it."""
        session = await start_session(user)
        return self._serializer.dumps({"u": user.id, "s": session.id})

    async def viewer_for(self, token: str) -> Viewer | None:
        """The viewer a bearer token stands for, or None when it is invalid, expired or revoked."""
        found = await self.authenticate(token)
        return found if isinstance(found, Viewer) else None

    async def authenticate(self, token: str) -> Viewer | TokenRefused:
        """The viewer a bearer token stands for, or why it stands for nobody."""
        if token.startswith(API_KEY_PREFIX):
            key = await key_for_token(token)
            if key is None:
                return TokenRefused.UNKNOWN_TOKEN
            try:
                return await viewer_for_key(key)
            except KeyRefused:
                # Only after the secret matched: whoever is told holds the key itself.
                return TokenRefused.REVOKED
        try:
            data = self._serializer.loads(token, max_age=int(self._ttl.total_seconds()))
        except SignatureExpired:
            # Raised only once the signature is good: the token is one we issued.
            return TokenRefused.EXPIRED
        except BadSignature:
            return TokenRefused.UNKNOWN_TOKEN
        user_id, session_id = _whole(data, "u"), _whole(data, "s")
        if user_id is None:
            return TokenRefused.UNKNOWN_TOKEN
        if session_id is None:
            # Signed by us before sessions were rows: it names no session, so neither
            # `logout` nor signing out everywhere could end it, and honouring it would
            # leave a way in that they cannot close. Its holder signs in again, as after
            # an expiry (which it is told: the token was ours, and is no longer good).
            return TokenRefused.EXPIRED
        try:
            return await viewer_for_session(user_id, session_id)
        except SessionRefused:
            return TokenRefused.REVOKED


def _whole(data: object, name: str) -> int | None:
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def sign_up(
    *,
    workspace_name: str,
    name: str,
    email: str,
    password: str,
    timezone: str | None,
    client_address: str | None = None,
    throttle: SignUpThrottle | None = None,
) -> User:
    """Creates a workspace with its first ADMIN user and a default sales pipeline.

    An e-mail is unique within a workspace only, so a sign-up never conflicts with an
    account elsewhere, and never tells whether an e-mail has one. With a throttle, the
    sign-up is counted first and refused past its address's limit (SignUpThrottled).
    """
    if throttle:
        await throttle.admit(client_address)
    problems = Problems()
    workspace_name = check_name(problems, "workspaceName", workspace_name)
    name = check_name(problems, "name", name)
    clean_email = check_email(problems, "email", email)
    if not email.strip():
        problems.add("email", "Must not be blank.", ErrorCode.REQUIRED)
    check_new_password(problems, "password", password, personal=(name, clean_email, workspace_name))
    tz = check_timezone(problems, "timezone", timezone, "UTC")
    problems.raise_if_any()
    password_hash = await hash_password(password)  # before the transaction, not inside it
    async with in_transaction():
        workspace = await Workspace.create(name=workspace_name, timezone=tz)
        user = await User.create(
            workspace=workspace,
            name=name,
            email=clean_email,
            password_hash=password_hash,
            role=Role.ADMIN,
            timezone=tz,
        )
        await create_default_pipeline(workspace.id)
    return user


class SeveralWorkspaces(DomainError):
    """The e-mail and password open accounts in several workspaces: the caller names one.

    Only someone who knows the password learns the workspaces, each of which they could
    sign in to anyway.
    """

    def __init__(self, workspaces: list[Workspace]) -> None:
        names = ", ".join(workspace.name for workspace in workspaces)
        message = (
            f"This e-mail and password open several workspaces ({names}): "
            "sign in again naming one (workspaceId)."
        )
        super().__init__([Problem("workspaceId", message, ErrorCode.REQUIRED)])
        self.workspaces = workspaces


async def log_in(
    email: str,
    password: str,
    *,
    workspace_id: int | None = None,
    client_address: str | None = None,
    throttle: SignInThrottle | None = None,
) -> User:
    """The active user the e-mail and password open (in `workspace_id` when given).

    With a throttle, the attempt is counted first and refused past its limits
    (SignInThrottled), before any password is checked; it stays counted as a guess unless
    it opens the one account it checked (`Admission.signed_in`).
    """
    email = (clean_text(email) or "").lower()
    admission = await throttle.admit(email, client_address) if throttle else None
    user, accounts_checked = await _authenticate(email, password, workspace_id)
    if admission:
        await admission.signed_in(accounts_checked=accounts_checked)
    return user


async def _candidates(email: str, workspace_id: int | None) -> list[User]:
    """The accounts a sign-in checks its password against.

    Naming a workspace: the e-mail's account there (at most one). Naming none: at most
    MAX_SIGN_IN_CANDIDATES of the e-mail's accounts, those most recently signed into
    first, then those never signed into, newest first. Anyone may sign up workspaces with
    anyone's e-mail (there is no verification), so which five are checked is what a
    squatter would play with:
    - accounts planted and left alone never push out an account its owner signs into,
      whenever they were planted (the oldest five, as before, let five planted first
      shut a newer real account out for good);
    - among accounts never signed into (a new invitee's, a sign-up's own), the newest
      come first, so accounts planted beforehand on an e-mail do not shut out the real
      one made after them;
    - a squatter who keeps signing into five accounts of their own after the owner's
      last sign-in still pushes the owner's out: that takes work per victim, and counts
      against the victim's e-mail (each such sign-in checks several accounts, so it is
      a guess, `domain.sign_in_throttle`), like the lockout anyone can cause anyway. The
      owner then signs in naming the workspace (clients keep the workspaceId of their
      last sign-in); only verified e-mails would end it.
    """
    if len(email) > EMAIL_MAX_LENGTH:
        # No account has it (check_email refuses it), and Tortoise refuses to filter by it.
        return []
    query = User.filter(email=email, is_active=True)
    if workspace_id is not None:
        return await query.filter(workspace_id=workspace_id)
    used = (
        await query.filter(last_signed_in_at__not_isnull=True)
        .order_by("-last_signed_in_at", "-id")
        .limit(MAX_SIGN_IN_CANDIDATES)
    )
    if len(used) == MAX_SIGN_IN_CANDIDATES:
        return used
    unused = (
        await query.filter(last_signed_in_at__isnull=True)
        .order_by("-id")
        .limit(MAX_SIGN_IN_CANDIDATES - len(used))
    )
    return [*used, *unused]


async def _authenticate(email: str, password: str, workspace_id: int | None) -> tuple[User, int]:
    """The user the password opens, and how many accounts it was checked against."""
    candidates = await _candidates(email, workspace_id)
    if not candidates:
        # No account: check a dummy hash all the same, so that a miss costs as long as a hit.
        await password_matches(dummy_hash(), password)
        raise DomainError.single(None, _WRONG_SIGN_IN, ErrorCode.INVALID)
    # In parallel: Argon2 releases the GIL, so several accounts cost about one check's time.
    checks = await asyncio.gather(
        *(password_matches(user.password_hash, password) for user in candidates)
    )
    matches = [user for user, matched in zip(candidates, checks, strict=True) if matched]
    if not matches:
        raise DomainError.single(None, _WRONG_SIGN_IN, ErrorCode.INVALID)
    if len(matches) > 1:
        workspaces = await Workspace.filter(id__in=[user.workspace_id for user in matches])
        raise SeveralWorkspaces(sorted(workspaces, key=lambda workspace: workspace.id))
    user = matches[0]
    user.last_signed_in_at = datetime.now(UTC)
    update_fields = ["last_signed_in_at"]
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
        update_fields.append("password_hash")
    await user.save(update_fields=update_fields)
    return user, len(candidates)


async def invite_user(
    viewer: Viewer, *, name: str, email: str, password: str, role: Role, team_id: int | None = None
) -> User:
    """Adds a user to the viewer's workspace (in `team_id`, which the viewer must manage).
    An e-mail used in another workspace is no obstacle (nor is that told): only one already
    in this workspace is a duplicate."""
    require_granting(viewer, role, "invite users")
    if team_id is not None:
        await check_team_for_member(viewer, team_id, "teamId")
    problems = Problems()
    name = check_name(problems, "name", name)
    clean_email = check_email(problems, "email", email)
    if clean_email is None and not problems.items:
        problems.add("email", "Must not be blank.", ErrorCode.REQUIRED)
    check_new_password(problems, "password", password, personal=(name, clean_email))
    if (
        clean_email
        and await User.filter(workspace_id=viewer.workspace_id, email=clean_email).exists()
    ):
        problems.add("email", _DUPLICATE_MEMBER, ErrorCode.DUPLICATE)
    problems.raise_if_any()
    workspace = await Workspace.get(id=viewer.workspace_id)
    try:
        return await User.create(
            workspace_id=viewer.workspace_id,
            name=name,
            email=clean_email,
            password_hash=await hash_password(password),
            role=role,
            team_id=team_id,
            timezone=workspace.timezone,
        )
    except IntegrityError:
        # Two invitations raced for one e-mail; UNIQUE (workspace_id, email) decided.
        raise DomainError.single("email", _DUPLICATE_MEMBER, ErrorCode.DUPLICATE) from None
