"""Workspaces, users, sessions and API keys: who may act, and as whom."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crm.settings import get_settings
from domain.errors import DomainError, ErrorCode, Problems
from domain.pipelines import create_default_pipeline
from domain.validation import check_email, check_name, check_timezone, clean_text
from domain.viewer import Viewer
from models import ApiKey, User, Workspace
from models.enums import Role

API_KEY_PREFIX = "crm_"
MIN_PASSWORD_LENGTH = 8
# An API key's last use is recorded at most this often, not on every request.
_LAST_USED_GRANULARITY = timedelta(minutes=1)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    if get_settings().crm_env == "test":
        # The suite signs up hundreds of users; only there are the cheapest parameters fine.
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


async def hash_password(password: str) -> str:
    # Argon2 is deliberately slow (~0.4 s): off the event loop, so other requests go on.
    return await asyncio.to_thread(_hasher().hash, password)


async def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher().verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the e-mail is unknown, so that a miss costs as long as a hit.
    return _hasher().hash("not-a-real-password")


class Authenticator:
    """Issues and reads bearer tokens: signed, expiring sessions and API keys."""

    def __init__(self, secret_key: str, session_ttl: timedelta) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="crm.session")
        self._ttl = session_ttl

    def issue(self, user: User) -> str:
        return self._serializer.dumps({"u": user.id})

    async def viewer_for(self, token: str) -> Viewer | None:
        """The viewer a bearer token stands for, or None when it is invalid, expired or revoked."""
        if token.startswith(API_KEY_PREFIX):
            return await _viewer_for_api_key(token)
        try:
            data = self._serializer.loads(token, max_age=self._ttl.total_seconds())
        except (SignatureExpired, BadSignature):
            return None
        user = await User.get_or_none(id=data.get("u"), is_active=True)
        if user is None:
            return None
        return Viewer(workspace_id=user.workspace_id, role=user.role, user_id=user.id)


def _hash_secret(secret: str) -> str:
    # API key secrets are 256 random bits: a fast hash is enough, unlike passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


async def _viewer_for_api_key(token: str) -> Viewer | None:
    try:
        prefix, secret = token[len(API_KEY_PREFIX) :].split("_", 1)
    except ValueError:
        return None
    key = await ApiKey.get_or_none(prefix=prefix, revoked_at=None)
    if key is None or not hmac.compare_digest(key.secret_hash, _hash_secret(secret)):
        return None
    now = datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_GRANULARITY:
        await ApiKey.filter(id=key.id).update(last_used_at=now)
    return Viewer(workspace_id=key.workspace_id, role=key.role, api_key_id=key.id)


def _check_password(problems: Problems, field: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.add(field, f"Use at least {MIN_PASSWORD_LENGTH} characters.")


async def _ensure_email_free(problems: Problems, field: str, email: str | None) -> None:
    if email and await User.filter(email=email).exists():
        problems.add(field, "An account with this e-mail already exists.", ErrorCode.DUPLICATE)


async def sign_up(
    *, workspace_name: str, name: str, email: str, password: str, timezone: str | None
) -> User:
    """Creates a workspace with its first ADMIN user and a default sales pipeline."""
    problems = Problems()
    workspace_name = check_name(problems, "workspaceName", workspace_name)
    name = check_name(problems, "name", name)
    clean_email = check_email(problems, "email", email)
    if email is not None and not email.strip():
        problems.add("email", "Must not be blank.", ErrorCode.REQUIRED)
    _check_password(problems, "password", password)
    tz = check_timezone(problems, "timezone", timezone, "UTC")
    await _ensure_email_free(problems, "email", clean_email)
    problems.raise_if_any()
    password_hash = await hash_password(password)  # before the transaction, not inside it
    try:
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
    except IntegrityError:
        # Two sign-ups raced for the same e-mail; the unique index decided.
        raise DomainError.single(
            "email", "An account with this e-mail already exists.", ErrorCode.DUPLICATE
        ) from None
    return user


async def log_in(email: str, password: str) -> User:
    user = await User.get_or_none(email=(clean_text(email) or "").lower(), is_active=True)
    stored = user.password_hash if user else _dummy_hash()
    if not await _password_matches(stored, password) or user is None:
        raise DomainError.single(None, "Wrong e-mail or password.", ErrorCode.INVALID)
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
        await user.save(update_fields=["password_hash"])
    return user


async def invite_user(viewer: Viewer, *, name: str, email: str, password: str, role: Role) -> User:
    viewer.require_role(Role.MANAGER, "invite users")
    if not viewer.role.at_least(role):
        raise DomainError.single(
            "role", "You cannot grant a role above your own.", ErrorCode.FORBIDDEN
        )
    problems = Problems()
    name = check_name(problems, "name", name)
    clean_email = check_email(problems, "email", email)
    if clean_email is None and not problems.items:
        problems.add("email", "Must not be blank.", ErrorCode.REQUIRED)
    _check_password(problems, "password", password)
    await _ensure_email_free(problems, "email", clean_email)
    problems.raise_if_any()
    workspace = await Workspace.get(id=viewer.workspace_id)
    try:
        return await User.create(
            workspace_id=viewer.workspace_id,
            name=name,
            email=clean_email,
            password_hash=await hash_password(password),
            role=role,
            timezone=workspace.timezone,
        )
    except IntegrityError:
        raise DomainError.single(
            "email", "An account with this e-mail already exists.", ErrorCode.DUPLICATE
        ) from None


async def create_api_key(viewer: Viewer, *, name: str, role: Role) -> tuple[ApiKey, str]:
    """Returns the key and its secret token, which is shown once and never stored."""
    viewer.require_role(Role.MANAGER, "create API keys")
    if not viewer.role.at_least(role):
        raise DomainError.single(
            "role", "You cannot grant a role above your own.", ErrorCode.FORBIDDEN
        )
    problems = Problems()
    name = check_name(problems, "name", name)
    problems.raise_if_any()
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = await ApiKey.create(
        workspace_id=viewer.workspace_id,
        name=name,
        prefix=prefix,
        secret_hash=_hash_secret(secret),
        role=role,
        created_by_id=viewer.user_id,
    )
    return key, f"{API_KEY_PREFIX}{prefix}_{secret}"
