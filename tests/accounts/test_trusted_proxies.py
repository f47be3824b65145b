"""TRUSTED_PROXIES decides which address a sign-in is counted from: with `*`, the one a
client writes in its own X-Forwarded-For, which `crm serve` warns of at start-up; with
none behind a proxy, the proxy's for everyone, which the first such sign-in warns of."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import httpx
import pytest

from api.accounts import throttle
from cli.main import edge_warnings
from crm.settings import Settings
from tests.accounts.conftest import Client
from tests.accounts.support import login, new_address, outcome
from tests.documents import document
from tests.ops.processes import crm_env, crm_serve


async def _login_as(base_url: str, email: str, forwarded_for: str) -> str:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": document("login"),
                "variables": {"email": email, "password": "a wrong one"},
            },
            headers={"X-Forwarded-For": forwarded_for},
        )
    return outcome(response.json()["data"]["login"])


async def test_trusting_any_proxy_is_warned_about_at_start_up(database: str, tmp_path: Path):
    # given: `crm serve` believing anyone's X-Forwarded-For, 3 failures allowed per address
    env = crm_env(
        EMBEDDED_REDIS_PATH=str(tmp_path / "redis.db"),
        TRUSTED_PROXIES="*",
        SIGN_IN_FAILURES_PER_ADDRESS="3",
    )
    with crm_serve(tmp_path, env) as served:
        # when: failures on fresh e-mails, first each naming another address, then all one
        rotated = [
            await _login_as(served.base_url, f"{uuid.uuid4().hex[:8]}@x.example", f"192.0.2.{n}")
            for n in range(1, 7)
        ]
        fixed = [
            await _login_as(served.base_url, f"{uuid.uuid4().hex[:8]}@x.example", "192.0.2.99")
            for _ in range(4)
        ]
        output = served.output()

    # then: the address counted is the one the client wrote (which the warning says)
    assert rotated == ["INVALID"] * 6
    assert fixed == ["INVALID"] * 3 + ["RATE_LIMITED"]
    assert "TRUSTED_PROXIES=* believes the X-Forwarded-For of every client" in output


def test_listed_proxies_are_not_warned_about():
    assert edge_warnings(Settings(trusted_proxies="10.0.0.0/8,192.168.0.7")) == []
    assert edge_warnings(Settings(trusted_proxies="")) == []


async def test_forwarded_sign_ins_without_trusted_proxies_are_warned_about_once(
    client_from: Client,
    settings_env,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    # given: no TRUSTED_PROXIES, and a proxy in front adding X-Forwarded-For
    settings_env(TRUSTED_PROXIES=None)
    monkeypatch.setitem(throttle._unbelieved_proxy, "told", False)
    proxy = await client_from(new_address())
    proxy.headers["X-Forwarded-For"] = "198.51.100.77"

    # when
    with caplog.at_level(logging.WARNING, logger="crm.accounts"):
        for _ in range(3):
            await login(proxy, f"{uuid.uuid4().hex[:8]}@x.example", "a wrong one")

    # then
    warnings = [r for r in caplog.records if "TRUSTED_PROXIES is empty" in r.getMessage()]
    assert len(warnings) == 1
