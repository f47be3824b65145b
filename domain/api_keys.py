"""Integrators' API keys: what each may do (its scopes), as whom (`acts_as`), and who
lists and revokes them.

A key acts as a user: that user's visibility, and the lower of the key's role and theirs,
so a key never reaches further than the person it stands for; an ADMIN key may act as the
workspace instead (no user: everything). A key acting as a deactivated user is refused like
a revoked one. Only people manage keys: a leaked key must not mint successors, nor revoke
the keys it would be replaced by.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from domain.errors import DomainError, ErrorCode, Problems, forbidden, not_found
from domain.validation import check_name
from domain.viewer import Viewer
from domain.visibility import scope_of
from models import ApiKey, User
from models.enums import ApiKeyScope, Role

API_KEY_PREFIX = "crm_"
# A key's (or a session's) last use is recorded at most this often, not on every request.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class KeyRefused(Exception):
    """The token names a key of ours, but it may not act (revoked, or its user deactivated)."""


def refuse_api_keys(viewer: Viewer, action: str, who: str = "a signed-in manager or admin") -> None:
    # A leaked integrator key must not become a way in for people (a sign-in of one's
    # own) or a way to stay in after it is revoked (more keys): only people do either.
    if viewer.api_key_id is not None:
        raise forbidden(f"An API key cannot {action}; {who} can.")


def require_granting(viewer: Viewer, role: Role, action: str) -> None:
    """A person (MANAGER or above) giving `role`, at most their own, to a colleague or a key."""
    refuse_api_keys(viewer, action)
    viewer.require_role(Role.MANAGER, action)
    if not viewer.role.at_least(role):
        raise DomainError.single(
            "role", "You cannot grant a role above your own.", ErrorCode.FORBIDDEN
        )


def is_stale(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a last use recorded at `last_used_at` is worth writing again at `now`."""
    return last_used_at is None or now - last_used_at > LAST_USED_GRANULARITY


def _is_key_prefix(prefix: str) -> bool:
    # What create_api_key makes (secrets.token_hex), within the column's 16 characters.
    return 0 < len(prefix) <= 16 and all(c in "0123456789abcdef" for c in prefix)


def _hash_secret(secret: str) -> str:
    # API key secrets are 256 random bits: a fast hash is enough, unlike passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


def lower_role(first: Role, second: Role) -> Role:
    return first if second.at_least(first) else second


def scopes_of(key: ApiKey) -> frozenset[ApiKeyScope]:
    # Stored as a JSON list; a value this code does not know grants nothing.
    known = {scope.value for scope in ApiKeyScope}
    return frozenset(ApiKeyScope(value) for value in key.scopes or () if value in known)


async def key_for_token(token: str) -> ApiKey | None:
    """The key whose secret the token holds, with its workspace and user (one statement),
    or None when it is not one of ours."""
    try:
        prefix, secret = token[len(API_KEY_PREFIX) :].split("_", 1)
    except ValueError:
        return None
    if not _is_key_prefix(prefix):
        # Not looked up: PostgreSQL refuses text with a NUL in it (an error, not an answer).
        return None
    # The workspace (a key acting as it keeps its clock) and the user it acts as, joined.
    key = await ApiKey.get_or_none(prefix=prefix).select_related("workspace", "acts_as")
    if key is None or not hmac.compare_digest(key.secret_hash, _hash_secret(secret)):
        return None
    return key


async def viewer_for_key(key: ApiKey) -> Viewer:
    """The viewer `key` (read by `key_for_token`) stands for, its use recorded; KeyRefused
    when it is revoked or acts as a deactivated user. Call it only once the secret matched:
    whoever is told holds the key itself."""
    user = key.acts_as
    if key.revoked_at is not None or (user is not None and not user.is_active):
        raise KeyRefused
    now = datetime.now(UTC)
    if is_stale(key.last_used_at, now):
        await ApiKey.filter(id=key.id).update(last_used_at=now)
    return _key_viewer(key, user, key.workspace.timezone)


def _key_viewer(key: ApiKey, user: User | None, workspace_timezone: str | None) -> Viewer:
    """The viewer of `key` acting as `user` (None: the workspace), with the lower role."""
    return Viewer(
        workspace_id=key.workspace_id,
        role=key.role if user is None else lower_role(key.role, user.role),
        user_id=None if user is None else user.id,
        api_key_id=key.id,
        scopes=scopes_of(key),
        timezone=workspace_timezone if user is None else user.timezone,
    )


async def viewer_of_key(api_key_id: int) -> Viewer | None:
    """The viewer a key stands for today (a worker running what it started), or None once it
    is revoked or its user deactivated. Its use is not recorded: the key did not call."""
    key = await ApiKey.get_or_none(id=api_key_id).select_related("workspace", "acts_as")
    user = None if key is None else key.acts_as
    if key is None or key.revoked_at is not None or (user is not None and not user.is_active):
        return None
    return _key_viewer(key, user, key.workspace.timezone)


async def create_api_key(
    viewer: Viewer,
    *,
    name: str,
    role: Role,
    scopes: Iterable[ApiKeyScope] | None = None,
    acts_as_user_id: int | None = None,
    acts_as_workspace: bool = False,
) -> tuple[ApiKey, str]:
    """Returns the key and its secret token, which is shown once and never stored.

    `scopes`: all three unless narrowed. The key acts as `acts_as_user_id` (by default its
    creator): an ADMIN may name anyone active, a MANAGER themselves or someone they manage;
    an ADMIN key may act as the workspace instead (`acts_as_workspace`).
    """
    require_granting(viewer, role, "create API keys")
    problems = Problems()
    name = check_name(problems, "name", name)
    chosen = sorted(set(ApiKeyScope if scopes is None else scopes), key=list(ApiKeyScope).index)
    if not chosen:
        problems.add("scopes", "A key needs at least one scope.", ErrorCode.REQUIRED)
    acts_as_id = await _acting_as(viewer, problems, role, acts_as_user_id, acts_as_workspace)
    problems.raise_if_any()
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = await ApiKey.create(
        workspace_id=viewer.workspace_id,
        name=name,
        prefix=prefix,
        secret_hash=_hash_secret(secret),
        role=role,
        scopes=[scope.value for scope in chosen],
        acts_as_id=acts_as_id,
        created_by_id=viewer.user_id,
    )
    return key, f"{API_KEY_PREFIX}{prefix}_{secret}"


async def _acting_as(
    viewer: Viewer,
    problems: Problems,
    role: Role,
    user_id: int | None,
    as_workspace: bool,
) -> int | None:
    """Whom a new key acts as (None: the workspace), its problems added to `problems`."""
    if as_workspace:
        if user_id is not None:
            problems.add("actsAsWorkspace", "Name a user or the workspace, not both.")
        elif role is not Role.ADMIN:
            problems.add(
                "actsAsWorkspace",
                "Only an ADMIN key may act as the workspace.",
                ErrorCode.FORBIDDEN,
            )
        return None
    target = viewer.user_id if user_id is None else user_id
    if target is None:
        # A viewer that is no user (a worker, the CLI) names one, or makes a workspace key.
        problems.add("actsAsUserId", "Name the user the key acts as.", ErrorCode.REQUIRED)
        return None
    if target == viewer.user_id:
        return target
    if not await User.filter(id=target, workspace_id=viewer.workspace_id, is_active=True).exists():
        problems.add("actsAsUserId", "User not found.", ErrorCode.NOT_FOUND)
    elif viewer.role is not Role.ADMIN and target not in (await scope_of(viewer)).managed_user_ids:
        problems.add(
            "actsAsUserId",
            "A manager's key may act only as themselves or someone they manage.",
            ErrorCode.FORBIDDEN,
        )
    return target


def keys_seen_by(viewer: Viewer) -> Q:
    """The keys `viewer` may list: an ADMIN every key of the workspace; anyone else those
    they created and those acting as them (they should know who acts in their name)."""
    refuse_api_keys(viewer, "list API keys", "a signed-in user")
    seen = Q(workspace_id=viewer.workspace_id)
    if viewer.role is Role.ADMIN:
        return seen
    return seen & (Q(created_by_id=viewer.user_id) | Q(acts_as_id=viewer.user_id))


async def revoke_api_key(viewer: Viewer, key_id: int) -> ApiKey:
    """Revokes the key (an ADMIN, or its creator); revoking a revoked key changes nothing."""
    refuse_api_keys(viewer, "revoke API keys")
    key = await ApiKey.filter(keys_seen_by(viewer), id=key_id).first()
    if key is None:
        raise not_found("id", "API key")
    if viewer.role is not Role.ADMIN and key.created_by_id != viewer.user_id:
        raise forbidden("Only an ADMIN or the key's creator may revoke it.")
    if key.revoked_at is None:
        now = datetime.now(UTC)
        # Conditional: two revocations at once keep the first instant.
        await ApiKey.filter(id=key.id, revoked_at=None).update(revoked_at=now)
        await key.refresh_from_db(fields=["revoked_at"])
    return key
