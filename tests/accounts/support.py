"""What the account tests share: client addresses, and signing in over HTTP."""

from __future__ import annotations

import itertools

import httpx

from tests.documents import document

# Documentation addresses (TEST-NET-3, then 2001:db8::/32 by /64, each /64 counted apart):
# labels here, never contacted; one per client, never shared by tests.
_ADDRESSES = itertools.chain(
    (f"203.0.113.{n}" for n in range(1, 255)),
    (f"2001:db8:ac:{n:x}::1" for n in itertools.count()),
)


def new_address() -> str:
    return next(_ADDRESSES)


async def login(
    http: httpx.AsyncClient, email: str, password: str, workspace_id: str | None = None
) -> tuple[dict, httpx.Response]:
    response = await http.post(
        "/graphql",
        json={
            "query": document("login"),
            "variables": {"email": email, "password": password, "workspaceId": workspace_id},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["login"], response


def codes(payload: dict) -> list[str]:
    return [error["code"] for error in payload["errors"]]


def outcome(payload: dict) -> str:
    """OK, or the code of the payload's first error."""
    return "OK" if payload["token"] else payload["errors"][0]["code"]
