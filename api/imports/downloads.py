"""GET /imports/{id}/errors.csv: an import's failed rows, for the user to fix and import again.

Plain HTTP rather than GraphQL, so a browser or curl saves it as a file. It takes the
same `Authorization: Bearer <session token or API key>` as /graphql; a key needs the
IMPORTS scope (403 without it, the scope named).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from api.context import new_request_id, viewer_for_header
from api.core.errors import SIGN_IN_REFUSALS
from api.core.ids import decode_id
from domain.accounts import Authenticator
from domain.errors import DomainError
from domain.imports.error_report import open_error_report
from domain.viewer import Viewer, missing_scope
from models.enums import ApiKeyScope

log = logging.getLogger("crm.api")

ROUTE_NAME = "import_error_report"
PATH = "/imports/{job_id}/errors.csv"


def error_report_endpoint(authenticator: Authenticator) -> Callable[[Request], Awaitable[Response]]:
    async def _error_report(request: Request) -> Response:
        viewer = await viewer_for_header(authenticator, request.headers.get("authorization"))
        if not isinstance(viewer, Viewer):
            return PlainTextResponse(
                SIGN_IN_REFUSALS[viewer],
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        if ApiKeyScope.IMPORTS not in viewer.scopes:
            return PlainTextResponse(missing_scope(ApiKeyScope.IMPORTS), status_code=403)
        try:
            job_id = decode_id(request.path_params["job_id"], "ImportJob", "id", "Import job")
            report = await open_error_report(viewer, job_id)
        except DomainError:
            # Malformed, of another type or another workspace's: all simply not found.
            return PlainTextResponse("Import job not found.", status_code=404)
        return StreamingResponse(
            report.chunks(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": _attachment(report.file_name),
                # Customer data: kept out of shared caches and the browser's.
                "Cache-Control": "no-store",
            },
        )

    async def download_error_report(request: Request) -> Response:
        try:
            return await _error_report(request)
        except Exception:
            # Masked as the GraphQL view masks what it did not expect, with the same id.
            request_id = new_request_id()
            log.error(
                "unexpected error in GET %s (request %s)",
                request.url.path,
                request_id,
                exc_info=True,
            )
            return PlainTextResponse(f"Unexpected error (request {request_id}).", 500)

    return download_error_report


def _attachment(file_name: str) -> str:
    """An attachment header that keeps a Chinese file name (RFC 6266 `filename*`), with an
    ASCII fallback for clients that read only `filename`."""
    fallback = file_name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name)}"
