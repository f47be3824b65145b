"""Talking GraphQL to the running server, and counting the SQL it runs."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.documents import document


@dataclass
class Account:
    token: str
    user_id: str
    email: str
    password: str


@dataclass
class Result:
    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def ok(self) -> dict[str, Any]:
        assert not self.errors, self.errors
        assert self.data is not None
        return self.data


class GraphQL:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> Result:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return Result(data=body.get("data"), errors=body.get("errors") or [])

    async def sign_up(
        self, *, email: str | None = None, workspace_name: str = "Acme 销售"
    ) -> Account:
        email = email or f"admin-{uuid.uuid4().hex[:10]}@example.com"
        password = "correct horse battery"
        result = await self.execute(
            document("signUp"),
            {
                "workspaceName": workspace_name,
                "name": "Ada 管理员",
                "email": email,
                "password": password,
            },
        )
        payload = result.ok()["signUp"]
        assert payload["errors"] == [], payload["errors"]
        return Account(payload["token"], payload["user"]["id"], email, password)


# COPY: how imports insert rows on PostgreSQL (domain/bulk_sql.py).
_STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "COPY")


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(_STATEMENTS):
            self.statements.append(message)


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """The SQL statements Tortoise runs inside the block (all connections, this process)."""
    logger = logging.getLogger("tortoise.db_client")
    counter = _Counter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter.statements
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


def problems(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    """A payload's errors as (field, code) pairs."""
    return [(error["field"], error["code"]) for error in payload["errors"]]
