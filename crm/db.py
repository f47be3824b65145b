"""Tortoise configuration for PostgreSQL (production) or SQLite (zero-setup default)."""

from __future__ import annotations

from typing import Any

from crm.settings import get_settings

MODEL_MODULES = ["models"]
MIGRATIONS_MODULE = "models.migrations"


def normalize_db_url(url: str) -> str:
    # Tortoise names the asyncpg engine "postgres"; accept the usual spellings.
    for prefix in ("postgresql+asyncpg://", "postgresql://", "asyncpg://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    return url


def _connection(url: str) -> str | dict[str, Any]:
    """PostgreSQL by URL; SQLite through `crm.sqlite_engine`, which makes it fold and compare
    text as PostgreSQL does."""
    if not url.startswith("sqlite://"):
        return url
    from tortoise.backends.base.config_generator import expand_db_url

    return {**expand_db_url(url), "engine": "crm.sqlite_engine"}


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
