"""The per-request context: who is asking, their loaders, and shared resources."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from api.core.errors import MALFORMED, MISSING, unauthenticated
from api.loaders import Loaders
from crm.lost_connections import retry_once_if_connection_lost
from domain.accounts import Authenticator, TokenRefused
from domain.imports.jobs import DEFAULT_MAX_BYTES
from domain.viewer import Viewer


def new_request_id() -> str:
    """What a masked error tells the client to quote, and its log line carries."""
    return uuid.uuid4().hex[:16]


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    authenticator: Authenticator
    viewer: Viewer | None = None
    # Why there is no viewer (api.core.errors.SIGN_IN_REFUSALS), told when one is required.
    sign_in_refused: str = MISSING
    request_id: str = field(default_factory=new_request_id)
    # The largest file startImport accepts (IMPORT_MAX_BYTES).
    import_max_bytes: int = DEFAULT_MAX_BYTES
    # What links the API hands out start with (see `link_base`): PUBLIC_URL; "" for a
    # path (production without PUBLIC_URL); None for the request's own URL (development).
    link_base: str | None = None
    # Set by Strawberry from the WebSocket `connection_init` payload.
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.viewer)

    def set_viewer(self, viewer: Viewer | None) -> None:
        # Afresh: what the viewer sees is worked out again (a WebSocket's next operation).
        self.viewer = None if viewer is None else viewer.afresh()
        self.loaders = Loaders(self.viewer)

    def require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise unauthenticated(self.sign_in_refused)
        return self.viewer


Info = StrawberryInfo[Context, None]


def bearer_token(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def viewer_for_token(authenticator: Authenticator, token: str) -> Viewer | TokenRefused:
    """The token's viewer, or why it stands for nobody; the lookup runs once more if the
    database connection was lost under it (a PostgreSQL restart or failover), rather than
    fail a request that the next connection would serve."""
    return await retry_once_if_connection_lost(
        lambda: authenticator.authenticate(token), "the token lookup"
    )


async def viewer_for_header(authenticator: Authenticator, header: str | None) -> Viewer | str:
    """The viewer an Authorization header stands for, or why it stands for nobody (a key of
    api.core.errors.SIGN_IN_REFUSALS)."""
    if header is None:
        return MISSING
    token = bearer_token(header)
    if token is None:
        return MALFORMED
    return await viewer_for_token(authenticator, token)


def link_base(public_url: str, production: bool) -> str | None:
    """Where links start: the configured PUBLIC_URL, never a Host header a client chose.

    Without one, production hands out paths (relative to the API's own address, which the
    client knows); development keeps the request's URL, which is right on a laptop.
    """
    if public_url:
        return public_url
    return "" if production else None
