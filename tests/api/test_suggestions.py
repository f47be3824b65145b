"""Without introspection, no error spells out the schema: no "Did you mean …?" for a
mistyped field, argument, enum value or input field, inline or in a variable."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from crm.settings import get_settings
from tests.helpers import Account

VARIABLE = "query($order: CustomerOrder) { customers(orderBy: $order) { totalCount } }"
MISTAKES = [
    pytest.param({"query": "{ customers { totalCont } }"}, id="field"),
    pytest.param({"query": "{ customers(frist: 1) { totalCount } }"}, id="argument"),
    pytest.param(
        {"query": "{ customers(orderBy: {field: NAM}) { totalCount } }"}, id="inline-enum"
    ),
    pytest.param({"query": VARIABLE, "variables": {"order": {"field": "NAM"}}}, id="variable-enum"),
    pytest.param(
        {"query": VARIABLE, "variables": {"order": {"feild": "NAME"}}}, id="variable-input-field"
    ),
]


async def _client(introspection: bool) -> AsyncIterator[httpx.AsyncClient]:
    settings = get_settings().model_copy(update={"introspection": introspection})
    transport = httpx.ASGITransport(app=create_app(settings))  # the suite's server set up the ORM
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
        yield http


@pytest.fixture
async def closed(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(introspection=False):
        yield http


@pytest.fixture
async def open_(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(introspection=True):
        yield http


async def _errors(http: httpx.AsyncClient, body: dict, account: Account) -> list[dict]:
    response = await http.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {account.token}"}
    )
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert errors
    return errors


@pytest.mark.parametrize("body", MISTAKES)
async def test_without_introspection_no_error_suggests_a_name(
    closed: httpx.AsyncClient, workspace: Account, body: dict
):
    errors = await _errors(closed, body, workspace)

    assert not [e for e in errors if "Did you mean" in e["message"]], errors
    # a client's mistake, told as such, never masked
    assert all(e.get("extensions", {}).get("code") != "INTERNAL" for e in errors), errors


@pytest.mark.parametrize("body", MISTAKES)
async def test_with_introspection_errors_suggest(
    open_: httpx.AsyncClient, workspace: Account, body: dict
):
    # the control: what the mistakes above would otherwise tell
    errors = await _errors(open_, body, workspace)

    assert [e for e in errors if "Did you mean" in e["message"]], errors
