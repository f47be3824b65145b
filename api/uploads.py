"""Guards on multipart requests (file uploads), applied before Strawberry reads the body.

CSRF: a browser lets any web page POST a multipart form to another site with the user's
cookies or basic credentials, without asking first. Strawberry 0.341 does not check for
this itself (`multipart_uploads_enabled` only switches parsing on), so a multipart
request must carry a header that no plain HTML form can set — `Apollo-Require-Preflight`
or `X-Requested-With` — which makes a browser ask (CORS preflight) before sending it.

Size: Starlette spools uploaded files to disk, never whole in memory, but would write
any size there. A body announced larger than the limit is refused before it is read;
one without a length is cut off as soon as it passes the limit.
"""

from __future__ import annotations

from cross_web import HTTPException
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope

from domain.imports.jobs import file_too_large

PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-requested-with")
# Beside the file, a multipart request holds the `operations` and `map` fields, which
# Starlette caps at 1 MB each; a file a little over the limit still reaches the resolver,
# which says so as a user error.
FORM_ALLOWANCE = 2 * 1024 * 1024 + 64 * 1024


def is_multipart(scope: Scope) -> bool:
    content_type = Headers(scope=scope).get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def refusal(scope: Scope, max_file_bytes: int) -> Response | None:
    """Why a multipart request is refused before its body is read, or None."""
    headers = Headers(scope=scope)
    if not any(headers.get(name) for name in PREFLIGHT_HEADERS):
        return PlainTextResponse(
            "Multipart uploads must carry an Apollo-Require-Preflight (or X-Requested-With) "
            "header: it keeps other web sites from posting forms here.",
            status_code=400,
        )
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > max_file_bytes + FORM_ALLOWANCE:
        return PlainTextResponse(file_too_large(max_file_bytes), status_code=413)
    return None


def capped(receive: Receive, max_file_bytes: int) -> Receive:
    """`receive` that stops the request once its body passes the limit."""
    limit = max_file_bytes + FORM_ALLOWANCE
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                # Strawberry's view answers its HTTPException with this status and text.
                raise HTTPException(413, file_too_large(max_file_bytes))
        return message

    return receive_within_limit
