"""Tortoise configuration for PostgreSQL (production) or SQLite (zero-setup default)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crm.settings import get_settings

MODEL_MODULES = ["models"]
MIGRATIONS_MODULE = "models.migrations"


def normalize_db_url(url: str) -> str:
    # Tortoise names the asyncpg engine "postgres"; accept the usual spellings.
    for prefix in ("postgresql+asyncpg://", "postgresql://", "asyncpg://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    return url


# libpq's TLS parameters, which a PostgreSQL URL may carry and asyncpg reads only from a DSN
# (crm/postgres_engine.py).
LIBPQ_TLS_PARAMETERS = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslpassword",
        "sslcrl",
        "sslnegotiation",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
    }
)


def split_libpq_tls(url: str) -> tuple[str, dict[str, str]]:
    """The URL without libpq's TLS parameters, and those parameters (the last of each)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    tls = {key: value for key, value in query if key in LIBPQ_TLS_PARAMETERS}
    rest = [(key, value) for key, value in query if key not in LIBPQ_TLS_PARAMETERS]
    return urlunsplit(parts._replace(query=urlencode(rest))), tls


def _connection(url: str) -> dict[str, Any]:
    """SQLite through `crm.sqlite_engine`, which makes it fold and compare text as
    PostgreSQL does; PostgreSQL through `crm.postgres_engine`, which understands libpq's
    TLS parameters."""
    from tortoise.backends.base.config_generator import expand_db_url

    if url.startswith("sqlite://"):
        return {**expand_db_url(url), "engine": "crm.sqlite_engine"}
    rest, tls = split_libpq_tls(url)
    connection = {**expand_db_url(rest), "engine": "crm.postgres_engine"}
    if tls:
        connection["credentials"]["libpq"] = tls
    return connection


def tortoise_config(db_url: str | None = None) -> dict[str, Any]:
    url = normalize_db_url(db_url or get_settings().database_url)
    return {
        "connections": {"default": _connection(url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> Any:
    if name == "TORTOISE_ORM":
        return tortoise_config()
    raise AttributeError(name)
