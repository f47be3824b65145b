"""Strawberry's ASGI view, taught who is calling (HTTP header or WebSocket init payload)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from api.context import Context, bearer_token
from domain.accounts import Authenticator


class CRMGraphQL(GraphQL[Context, None]):
    def __init__(self, *args: Any, authenticator: Authenticator, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.authenticator = authenticator

    def encode_json(self, data: object) -> str:
        # Chinese text as is (sent as UTF-8): readable, and a third the size of \uXXXX escapes.
        # A str, not bytes: over WebSocket that makes text frames, as GraphQL clients expect.
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        viewer = None
        if isinstance(request, Request):
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                viewer = await self.authenticator.viewer_for(token)
        # The viewer first: the context builds its loaders once, scoped to it.
        return Context(
            request=request, response=response, authenticator=self.authenticator, viewer=viewer
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """`connection_init` carries {"authorization": "Bearer …"}; a bad token is refused."""
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        if raw is None:
            return UNSET
        token = bearer_token(str(raw)) or str(raw)
        viewer = await self.authenticator.viewer_for(token)
        if viewer is None:
            raise ConnectionRejectionError({"message": "Invalid or expired token."})
        context.set_viewer(viewer)
        return UNSET
