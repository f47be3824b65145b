"""Strawberry's ASGI view, taught who is calling (HTTP header or WebSocket init payload),
what a request may cost (`api.body_limit`, `api.json_body`, `api.uploads`) and how to
refuse one (`api.http_errors`)."""

from __future__ import annotations

import json
import logging
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema.base import BaseSchema
from strawberry.types.unset import UNSET, UnsetType

from api import body_limit, graphiql, import_bodies, json_body, uploads
from api.context import (
    Context,
    bearer_token,
    new_request_id,
    viewer_for_header,
    viewer_for_token,
)
from api.core.errors import MISSING, unauthenticated
from api.http_errors import RequestRefused, refusal_response, unexpected_error
from api.ws_handlers import LegacyWSHandler, TransportWSHandler
from crm.settings import Settings
from domain.accounts import Authenticator
from domain.imports.jobs import DEFAULT_MAX_BYTES
from domain.viewer import Viewer
from models.enums import ApiKeyScope

log = logging.getLogger("crm.api")

DEFAULT_MAX_BODY_BYTES: int = Settings.model_fields["max_body_bytes"].default
DEFAULT_MAX_IMPORT_BODY_BYTES: int = Settings.model_fields["max_import_body_bytes"].default
DEFAULT_MAX_QUERY_TOKENS: int = Settings.model_fields["max_query_tokens"].default


def encode_response(data: object) -> str:
    """A response as compact JSON.

    orjson: a nested read's response encodes about 7x faster than with the json module.
    Chinese text as is (sent as UTF-8): readable, and a third the size of \\uXXXX escapes.
    A str, not bytes: over WebSocket that makes text frames, as GraphQL clients expect.
    """
    try:
        return orjson.dumps(data).decode()
    except orjson.JSONEncodeError:
        # What orjson refuses, json writes: an integer beyond 64 bits, say.
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class CRMGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        schema: BaseSchema,
        *,
        authenticator: Authenticator,
        import_max_bytes: int = DEFAULT_MAX_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_import_body_bytes: int = DEFAULT_MAX_IMPORT_BODY_BYTES,
        max_query_tokens: int = DEFAULT_MAX_QUERY_TOKENS,
        link_base: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(schema, multipart_uploads_enabled=True, **kwargs)
        self.authenticator = authenticator
        self.import_max_bytes = import_max_bytes
        self.max_body_bytes = max_body_bytes
        self.max_import_body_bytes = max(max_import_body_bytes, max_body_bytes)
        self.max_query_tokens = max_query_tokens
        self.link_base = link_base

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, self._within_body_limit(scope, receive)))
        except HTTPException as refusal:
            response = refusal_response(refusal)
        except ClientDisconnect:
            return  # gone before its body arrived: nobody to answer
        except Exception:
            # Outside any operation (the token lookup, say): masked as the schema masks
            # one inside (api.schema.mask_unexpected_errors).
            request_id = new_request_id()
            log.error(
                "unexpected error in %s %s (request %s)",
                scope["method"],
                scope["path"],
                request_id,
                exc_info=True,
            )
            response = refusal_response(unexpected_error(request_id))
        await response(scope, receive, send)

    def _within_body_limit(self, scope: Scope, receive: Receive) -> Receive:
        """`receive`, for a body within its limit; refused before it is read when its length
        says it is over, cut off as it passes the limit otherwise.

        A JSON body may have MAX_BODY_BYTES, or MAX_IMPORT_BODY_BYTES once `get_context`
        has found a valid token (`api.import_bodies`); until then, a request with no token
        at all is held to the smaller limit.
        """
        if uploads.is_multipart(scope):
            refusal = uploads.refusal(scope, self.import_max_bytes)
            if refusal is not None:
                raise refusal
            return uploads.capped(receive, self.import_max_bytes)
        has_token = bearer_token(Headers(scope=scope).get("authorization")) is not None
        limit = self.max_import_body_bytes if has_token else self.max_body_bytes
        if body_limit.is_announced_over(scope, limit):
            raise import_bodies.too_large(limit)
        return body_limit.capped(receive, limit, import_bodies.too_large(limit))

    def decode_json(self, data: str | bytes) -> object:
        # WebSocket messages come through here, request bodies through parse_json.
        return json_body.decode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            value = json_body.decode_json(data)
        except json_body.UnreadableJSON as error:
            if error.field is None:
                raise RequestRefused(400, error.msg, "BAD_REQUEST") from None
            raise RequestRefused(400, error.msg, "BAD_REQUEST", field=error.field) from None
        if not isinstance(value, (dict, list)):
            # Strawberry reads fields off the body: a string or a number made a 500.
            raise RequestRefused(
                400, "A GraphQL request is a JSON object with a `query`.", "BAD_REQUEST"
            )
        if len(data) > self.max_body_bytes:
            # Only a signed-in caller gets this far (see _within_body_limit).
            refusal = import_bodies.refusal(
                value,
                max_body_bytes=self.max_body_bytes,
                max_query_tokens=self.max_query_tokens,
            )
            if refusal is not None:
                raise refusal
        return value

    def encode_json(self, data: object) -> str:
        return encode_response(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our page: Strawberry's, with its assets served by the app instead of a CDN.
        return graphiql.page()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        viewer, refused = None, MISSING
        if isinstance(request, Request):
            header = request.headers.get("authorization")
            found = await viewer_for_header(self.authenticator, header)
            # A request that stands for nobody may still sign in or up: why it does is told
            # only to an operation that needs a viewer (Context.require_viewer).
            viewer, refused = (found, MISSING) if isinstance(found, Viewer) else (None, found)
            # Strawberry reads the body after this: who may send what is settled first.
            self._settle_body_limit(request, viewer, refused)
        # The viewer first: the context builds its loaders once, scoped to it.
        return Context(
            request=request,
            response=response,
            authenticator=self.authenticator,
            viewer=viewer,
            sign_in_refused=refused,
            import_max_bytes=self.import_max_bytes,
            link_base=self.link_base,
        )

    def _settle_body_limit(self, request: Request, viewer: Viewer | None, refused: str) -> None:
        """Refuses an upload from a caller without a valid token (saying why) or from a key
        without the IMPORTS scope, and holds a JSON body from either to MAX_BODY_BYTES (the
        rows of a startImport they could not start), before the body is read."""
        if uploads.is_multipart(request.scope):
            if viewer is None:
                raise uploads.unauthenticated(refused)
            if lacking := uploads.lacks_imports_scope(viewer):
                raise lacking
            return
        body = request.receive
        may_import = viewer is not None and ApiKeyScope.IMPORTS in viewer.scopes
        if not may_import and isinstance(body, body_limit.CappedBody):
            limit = self.max_body_bytes
            body.allow(limit, import_bodies.too_large(limit), request.scope)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """`connection_init` carries {"authorization": "Bearer …"}; a bad token is refused."""
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        if raw is None:
            return UNSET
        token = bearer_token(str(raw)) or str(raw)
        found = await viewer_for_token(self.authenticator, token)
        if not isinstance(found, Viewer):
            refusal = unauthenticated(found)
            raise ConnectionRejectionError(
                {"message": refusal.message, **(refusal.extensions or {})}
            )
        context.set_viewer(found)
        return UNSET
