"""Guards on multipart requests (file uploads), applied before Strawberry reads the body.

CSRF: a browser lets any web page POST a multipart form to another site with the user's
cookies or basic credentials, without asking first. Strawberry 0.341 does not check for
this itself (`multipart_uploads_enabled` only switches parsing on), so a multipart
request must carry a header that no plain HTML form can set — `Apollo-Require-Preflight`
or `X-Requested-With` — which makes a browser ask (CORS preflight) before sending it.

Size: Starlette spools uploaded files to disk, never whole in memory, but would write
any size there. A body announced larger than the limit is refused before it is read;
one without a length is cut off as soon as it passes the limit.

Who: only a signed-in caller may start an import, and the view knows the caller (its
token lookup) before Strawberry reads the body, so an upload without a valid token is
refused then (401, UNAUTHENTICATED), its body unread: anyone could otherwise make the API
parse and spool 50 MB per request, for a mutation that would refuse them anyway. An API
key without the IMPORTS scope is refused likewise (403, FORBIDDEN, the scope named).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Receive, Scope

from api import body_limit
from api.core.errors import MISSING, SIGN_IN_REFUSALS
from api.http_errors import RequestRefused
from domain.imports.jobs import file_too_large
from domain.viewer import Viewer, missing_scope
from models.enums import ApiKeyScope

PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-requested-with")
# Beside the file, a multipart request holds the `operations` and `map` fields, which
# Starlette caps at 1 MB each; a file a little over the limit still reaches the resolver,
# which says so as a user error.
FORM_ALLOWANCE = 2 * 1024 * 1024 + 64 * 1024


def is_multipart(scope: Scope) -> bool:
    content_type = Headers(scope=scope).get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def refusal(scope: Scope, max_file_bytes: int) -> RequestRefused | None:
    """Why a multipart request is refused before its body is read, or None."""
    headers = Headers(scope=scope)
    if not any(headers.get(name) for name in PREFLIGHT_HEADERS):
        return RequestRefused(
            400,
            "Multipart uploads must carry an Apollo-Require-Preflight (or X-Requested-With) "
            "header: it keeps other web sites from posting forms here.",
            "BAD_REQUEST",
        )
    if body_limit.is_announced_over(scope, max_file_bytes + FORM_ALLOWANCE):
        return _too_large(max_file_bytes)
    return None


def capped(receive: Receive, max_file_bytes: int) -> Receive:
    """`receive` that stops the request once its body passes the limit."""
    return body_limit.capped(receive, max_file_bytes + FORM_ALLOWANCE, _too_large(max_file_bytes))


def _too_large(max_file_bytes: int) -> RequestRefused:
    return RequestRefused(413, file_too_large(max_file_bytes), "PAYLOAD_TOO_LARGE")


def unauthenticated(reason: str = MISSING) -> RequestRefused:
    return RequestRefused(
        401,
        f"{SIGN_IN_REFUSALS[reason]} Uploads are taken only from a signed-in caller.",
        "UNAUTHENTICATED",
        reason=str(reason),
        # The connection stays open: uvicorn drops what remains of the body as it arrives
        # (never parsed nor spooled), so that the client reads this answer; closing with
        # its bytes unread would reset the connection under it.
        headers={"WWW-Authenticate": "Bearer"},
    )


def lacks_imports_scope(viewer: Viewer) -> RequestRefused | None:
    """The refusal of an upload from an API key without the IMPORTS scope, or None."""
    if ApiKeyScope.IMPORTS in viewer.scopes:
        return None
    scope = ApiKeyScope.IMPORTS
    return RequestRefused(403, missing_scope(scope), "FORBIDDEN", scope=scope.value)
