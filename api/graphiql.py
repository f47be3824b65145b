"""GraphiQL without the internet: the page and its scripts and styles, served by the app.

Strawberry's page loads React, GraphiQL and the explorer plugin from unpkg.com, which many
users (in China, behind a firewall, on a plane) cannot reach. The same files, same versions,
are vendored in api/static/graphiql/ (see api/static/README.md) and served under
`ASSETS_PATH`; the page names them by relative URLs, so it also works when the app is mounted
under a path prefix.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import ASGIApp, Scope

STATIC = Path(__file__).parent / "static"
ASSETS_DIR = STATIC / "graphiql"
PAGE = STATIC / "graphiql.html"
ASSETS_PATH = "/graphiql-assets"

# Every asset's path names its package's version, so a URL's content never changes: browsers
# may keep it a year without asking again.
CACHE_CONTROL = "public, max-age=31536000, immutable"


@cache
def page_html() -> str:
    return PAGE.read_text(encoding="utf-8")


def page() -> HTMLResponse:
    return HTMLResponse(page_html())


class _ImmutableFiles(StaticFiles):
    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = CACHE_CONTROL
        return response


def assets_app() -> ASGIApp:
    """The vendored files, compressed for clients that accept gzip: GraphiQL's script is 3.5 MB,
    0.7 MB gzipped, what a slow link notices. Level 6 compresses it as well as 9 in 0.15 s of
    CPU instead of 0.4 (once per browser, given the cache header)."""
    return GZipMiddleware(_ImmutableFiles(directory=ASSETS_DIR), minimum_size=1024, compresslevel=6)
