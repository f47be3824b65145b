"""Fixtures of the account tests: clients calling from addresses of their own, settings
changed for one test, and a count of the Argon2 work done."""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from argon2 import PasswordHasher
from arq import ArqRedis

from api.app import create_app
from crm.settings import get_settings

Client = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client_from(arq_redis: ArqRedis, server: str) -> AsyncIterator[Client]:
    """HTTP clients of one app, each calling from the address it is given, so that their
    attempts never count against the suite's 127.0.0.1. The app shares the suite's
    database and Redis (Tortoise is initialised by the suite's server)."""
    app = create_app(get_settings())
    app.state.redis = arq_redis  # what the lifespan would set; the suite's server owns the rest
    clients: list[httpx.AsyncClient] = []

    async def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        http = httpx.AsyncClient(transport=transport, base_url="http://crm.test", timeout=60)
        clients.append(http)
        return http

    yield make
    for http in clients:
        await http.aclose()


@pytest.fixture
def settings_env() -> Iterator[Callable[..., None]]:
    """Sets environment variables (None removes one) that the settings read from now on,
    for this test only: the throttles read get_settings() on each request."""
    saved: dict[str, str | None] = {}

    def apply(**values: str | int | None) -> None:
        for name, value in values.items():
            saved.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = str(value)
        get_settings.cache_clear()

    yield apply
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()


@dataclass
class Argon2Work:
    """How many Argon2 hashes were checked and made (in any thread) while it counted."""

    checks: int = 0
    hashes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.checks = self.hashes = 0


@pytest.fixture
def argon2_work(monkeypatch: pytest.MonkeyPatch) -> Argon2Work:
    """Counts every PasswordHasher.verify and .hash call, then lets it run as it would."""
    work = Argon2Work()
    verify, hash_ = PasswordHasher.verify, PasswordHasher.hash

    def counted_verify(self, *args, **kwargs):
        with work._lock:
            work.checks += 1
        return verify(self, *args, **kwargs)

    def counted_hash(self, *args, **kwargs):
        with work._lock:
            work.hashes += 1
        return hash_(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "verify", counted_verify)
    monkeypatch.setattr(PasswordHasher, "hash", counted_hash)
    return work
