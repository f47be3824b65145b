"""Refusals at the HTTP level, before or instead of a GraphQL operation, as GraphQL error bodies.

A request the view cannot run (too large, unreadable, the wrong method) gets the status
that says so and a body every GraphQL client reads: {"errors": [{"message", "extensions":
{"code"}}]}, never Strawberry's or Starlette's plain text. An unexpected failure before the
operation runs (the token lookup, say) is masked like one inside it: "Unexpected error."
with a request id that the log line carries too.
"""

from __future__ import annotations

from cross_web import HTTPException
from starlette.responses import JSONResponse, Response

# Strawberry raises bare HTTPExceptions; their status says which code they are.
CODES_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    500: "INTERNAL",
}


class RequestRefused(HTTPException):
    """An HTTP-level refusal with its GraphQL error code and any other extensions."""

    def __init__(
        self,
        status_code: int,
        message: str,
        code: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: object,
    ) -> None:
        super().__init__(status_code, message)
        self.code = code
        self.headers = headers or {}
        self.extensions = extensions


def refusal_response(refusal: HTTPException) -> Response:
    code = getattr(refusal, "code", None) or CODES_BY_STATUS.get(refusal.status_code, "BAD_REQUEST")
    extensions = {"code": code, **getattr(refusal, "extensions", {})}
    headers = dict(getattr(refusal, "headers", {}))
    if refusal.status_code == 405:
        headers.setdefault("Allow", "GET, POST")
    if refusal.status_code == 413:
        # The rest of the body is not wanted: closing the connection stops the client
        # sending it, where keeping it alive would read (and drop) every byte first.
        headers.setdefault("Connection", "close")
    return JSONResponse(
        {"errors": [{"message": refusal.reason, "extensions": extensions}]},
        status_code=refusal.status_code,
        headers=headers,
    )


def unexpected_error(request_id: str) -> RequestRefused:
    return RequestRefused(500, "Unexpected error.", "INTERNAL", requestId=request_id)
