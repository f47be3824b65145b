"""GraphiQL works offline: its page names only files the app serves, and the app serves them."""

import base64
import hashlib
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx

from api.graphiql import ASSETS_DIR, CACHE_CONTROL, STATIC
from tests.ops.processes import ROOT


class _Assets(HTMLParser):
    """(url, integrity) of every <script src> and <link href> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        url = (
            values.get("src") if tag == "script" else values.get("href") if tag == "link" else None
        )
        if url:
            self.found.append((url, values.get("integrity")))


async def _page(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/graphql", headers={"Accept": "text/html"})


def _assets(html: str) -> list[tuple[str, str | None]]:
    parser = _Assets()
    parser.feed(html)
    return parser.found


async def test_graphiql_page_names_no_other_host(client: httpx.AsyncClient):
    # given / when
    page = await _page(client)

    # then: a GraphiQL page, without a single absolute URL (no CDN, no font service)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "GraphiQL.createFetcher" in page.text
    assert re.findall(r"(?:https?:)?//[\w.-]+\.\w+/", page.text) == []
    assets = _assets(page.text)
    assert len(assets) == 6
    for url, _ in assets:
        parts = urlparse(url)
        assert (parts.scheme, parts.netloc) == ("", ""), url


async def test_every_asset_is_served_as_the_page_expects_it(client: httpx.AsyncClient):
    # given
    page = await _page(client)

    for url, integrity in _assets(page.text):
        # when: fetched as a browser would, relative to the page
        response = await client.get(urljoin(str(page.url), url))

        # then: the file, unchanged (the page's integrity hash holds), cached for long
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == CACHE_CONTROL
        assert response.headers["content-type"].split(";")[0] in {
            "text/javascript",
            "application/javascript",
            "text/css",
        }
        digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
        assert integrity == f"sha384-{digest}", url
        # and it loads nothing from elsewhere either (CSS fonts are inlined as data: URLs)
        assert not re.search(rb"url\(\s*['\"]?(?:https?:)?//|@import", response.content), url


async def test_assets_are_compressed_for_slow_links(client: httpx.AsyncClient):
    # given
    page = await _page(client)
    script = next(url for url, _ in _assets(page.text) if url.endswith("graphiql.min.js"))

    # when
    response = await client.get(urljoin(str(page.url), script), headers={"Accept-Encoding": "gzip"})

    # then
    assert response.headers["content-encoding"] == "gzip"
    assert response.num_bytes_downloaded < len(response.content) / 3


async def test_only_what_the_page_loads_is_vendored_each_with_its_license(
    client: httpx.AsyncClient,
):
    # given
    page = await _page(client)
    loaded = {urlparse(url).path.removeprefix("graphiql-assets/") for url, _ in _assets(page.text)}

    # when
    vendored = {
        str(path.relative_to(ASSETS_DIR)) for path in ASSETS_DIR.rglob("*") if path.is_file()
    }
    packages = {path for path in ASSETS_DIR.iterdir() if path.is_dir()}

    # then
    assert vendored - loaded == {f"{package.name}/LICENSE" for package in packages}
    assert loaded <= vendored


async def test_a_missing_asset_is_a_404(client: httpx.AsyncClient):
    # given / when
    response = await client.get("/graphiql-assets/graphiql@3.8.3/nothing.js")

    # then
    assert response.status_code == 404


def test_the_package_data_ships_every_static_file():
    # given: what setuptools is told to put beside the api package
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["api"]
    api = STATIC.parent

    # when
    shipped = {path for pattern in patterns for path in api.glob(pattern) if path.is_file()}

    # then: the page and every vendored file
    assert shipped == {path for path in STATIC.rglob("*") if path.is_file()}
    assert Path(STATIC / "graphiql.html") in shipped
