"""The PostgreSQL backend: Tortoise's asyncpg client, taking libpq's TLS parameters.

Hosted PostgreSQL services hand out URLs such as `postgres://…/db?sslmode=require`.
Tortoise passes every query parameter to asyncpg as a keyword, and asyncpg has no
`sslmode` keyword (`connect() got an unexpected keyword argument 'sslmode'`). asyncpg
does read libpq's parameters from a DSN, with libpq's meaning (`prefer` falls back to
plain text, `verify-full` checks the host name, `sslrootcert` names the CA…), and the
host, user and database Tortoise passes as keywords win over a DSN's. So `crm.db` hands
the TLS parameters over apart (`libpq`), and this client gives them to asyncpg as a DSN
of nothing else.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient


class LibpqAsyncpgClient(AsyncpgDBClient):
    def __init__(self, *, libpq: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._libpq_dsn = f"postgres://?{urlencode(libpq)}" if libpq else None

    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await asyncpg.create_pool(self._libpq_dsn, **kwargs)


client_class = LibpqAsyncpgClient
