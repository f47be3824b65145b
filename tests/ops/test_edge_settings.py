"""The settings of the HTTP edge: what production turns off unless asked, and what uvicorn is told."""

from __future__ import annotations

import pytest

from cli.main import uvicorn_edge_options
from crm.settings import Settings

PRODUCTION = {"CRM_ENV": "production", "SECRET_KEY": "s3cret-" * 5}


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("GRAPHIQL", "INTROSPECTION", "PUBLIC_URL", "TRUSTED_PROXIES", "MAX_BODY_BYTES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.mark.parametrize("environment", ["development", "test"])
def test_graphiql_and_introspection_are_on_by_default_off_production(
    monkeypatch: pytest.MonkeyPatch, environment: str
):
    settings = _settings(monkeypatch, CRM_ENV=environment)

    assert (settings.graphiql, settings.introspection) == (True, True)


def test_production_turns_graphiql_and_introspection_off(monkeypatch: pytest.MonkeyPatch):
    settings = _settings(monkeypatch, **PRODUCTION)

    assert (settings.graphiql, settings.introspection) == (False, False)


def test_production_keeps_what_is_turned_on_explicitly(monkeypatch: pytest.MonkeyPatch):
    settings = _settings(monkeypatch, **PRODUCTION, GRAPHIQL="true", INTROSPECTION="true")

    assert (settings.graphiql, settings.introspection) == (True, True)


def test_development_keeps_what_is_turned_off_explicitly(monkeypatch: pytest.MonkeyPatch):
    settings = _settings(monkeypatch, CRM_ENV="development", GRAPHIQL="false")

    assert (settings.graphiql, settings.introspection) == (False, True)


def test_public_url_is_kept_without_its_trailing_slash(monkeypatch: pytest.MonkeyPatch):
    settings = _settings(monkeypatch, PUBLIC_URL="https://crm.example.com/crm/")

    assert settings.public_url == "https://crm.example.com/crm"


def test_without_trusted_proxies_uvicorn_ignores_forwarded_headers(
    monkeypatch: pytest.MonkeyPatch,
):
    options = uvicorn_edge_options(_settings(monkeypatch))

    # uvicorn's own default would believe 127.0.0.1
    assert options["proxy_headers"] is False


def test_trusted_proxies_are_passed_as_uvicorn_reads_them(monkeypatch: pytest.MonkeyPatch):
    settings = _settings(monkeypatch, TRUSTED_PROXIES="10.1.2.3/8, 192.168.0.7 ,::1")

    options = uvicorn_edge_options(settings)

    # uvicorn would take "10.1.2.3/8" (host bits set) for a name, and trust nobody by it
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.0/8", "192.168.0.7", "::1"]


def test_any_proxy_stands_alone(monkeypatch: pytest.MonkeyPatch):
    # uvicorn trusts everyone for "*" only when it is the whole list
    settings = _settings(monkeypatch, TRUSTED_PROXIES="10.0.0.1,*")

    assert uvicorn_edge_options(settings)["forwarded_allow_ips"] == ["*"]


def test_websocket_messages_are_capped_like_bodies(monkeypatch: pytest.MonkeyPatch):
    settings = _settings(monkeypatch, MAX_BODY_BYTES="65536")

    assert uvicorn_edge_options(settings)["ws_max_size"] == 65536
