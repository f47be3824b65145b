"""`crm serve` as deployed: production closes the schema, links are built on PUBLIC_URL, and
X-Forwarded-* headers are believed only from TRUSTED_PROXIES.

Each server is a real process on the suite's database (a Redis of its own on SQLite),
signed with the suite's SECRET_KEY, so the suite's tokens and import jobs are its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from domain.imports.runner import run_import
from models.enums import ImportStatus
from tests.factories import pk
from tests.helpers import Account, GraphQL
from tests.imports.api.support import start_import
from tests.ops.processes import Served, crm_env, crm_serve

INTROSPECTION = "{ __schema { queryType { name } } }"
REPORT_URL = "query Job($id: ID!) { importJob(id: $id) { errorReportUrl } }"
FORGED = {
    "Host": "evil.example",
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
}
# Typos each rule of graphql-core would answer with "Did you mean …?".
TYPOS = [
    pytest.param("{ custmers { totalCount } }", id="field"),
    pytest.param("{ customers(frist: 1) { totalCount } }", id="argument"),
    pytest.param(
        "{ customers(orderBy: {field: NAM, direction: ASC}) { totalCount } }", id="enum-value"
    ),
    pytest.param("{ customers(orderBy: {feild: NAME}) { totalCount } }", id="input-field"),
    pytest.param("query($o: CustomerOrdr) { customers(orderBy: $o) { totalCount } }", id="type"),
]


@contextmanager
def _serving(tmp_path: Path, **settings: str) -> Iterator[Served]:
    env = crm_env(EMBEDDED_REDIS_PATH=str(tmp_path / "redis.db"), **settings)
    with crm_serve(tmp_path, env) as served:
        yield served


@pytest.fixture(scope="module")
def production(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with _serving(tmp_path_factory.mktemp("production"), CRM_ENV="production") as served:
        yield served


@pytest.fixture
async def failed_import(gql: GraphQL, workspace: Account) -> str:
    """An import job of `workspace` with a failed row, so it has an errorReportUrl."""
    rows = [{"客户名称": "云帆科技"}, {"客户名称": "坏电话公司", "电话": "call me"}]
    job_id = (await start_import(gql, workspace.token, kind="CUSTOMERS", rows=rows))["importJob"][
        "id"
    ]
    assert await run_import(pk(job_id)) == ImportStatus.COMPLETED
    return job_id


async def _post(
    served: Served, query: str, variables: dict | None = None, **headers: str
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        return await http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )


async def _report_url(served: Served, account: Account, job_id: str, **headers: str) -> str:
    response = await _post(
        served, REPORT_URL, {"id": job_id}, Authorization=f"Bearer {account.token}", **headers
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["importJob"]["errorReportUrl"]


# ---------------------------------------------------------------- production


async def test_production_refuses_introspection(production: Served):
    # when
    response = await _post(production, INTROSPECTION)

    # then
    body = response.json()
    assert body["data"] is None
    assert "introspection has been disabled" in body["errors"][0]["message"]


async def test_production_serves_no_graphiql(production: Served):
    # when: what a browser opening /graphql asks for
    async with httpx.AsyncClient(base_url=production.base_url, timeout=30) as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})

    # then
    assert response.status_code == 404
    assert response.json() == {
        "errors": [{"message": "Not Found", "extensions": {"code": "NOT_FOUND"}}]
    }


@pytest.mark.parametrize("query", TYPOS)
async def test_production_suggests_no_names(production: Served, query: str):
    # when
    response = await _post(production, query)

    # then: the typo is named, the schema is not
    messages = [error["message"] for error in response.json()["errors"]]
    assert messages
    assert not [message for message in messages if "Did you mean" in message], messages


async def test_production_without_public_url_hands_out_a_path(
    production: Served, workspace: Account, failed_import: str
):
    # when: a request that names another host
    url = await _report_url(production, workspace, failed_import, **FORGED)

    # then: relative to wherever the client reached the API
    assert url == f"/imports/{failed_import}/errors.csv"


# ---------------------------------------------------------------- development, for contrast


@pytest.mark.parametrize("query", TYPOS[:1])
async def test_development_still_suggests(gql: GraphQL, query: str):
    # given / when: the suite's server runs with the defaults of development (CRM_ENV=test)
    result = await gql.execute(query)

    # then
    assert "Did you mean 'customers'" in result.errors[0]["message"]


async def test_development_still_introspects(gql: GraphQL):
    assert (await gql.execute(INTROSPECTION)).ok() == {"__schema": {"queryType": {"name": "Query"}}}


# ---------------------------------------------------------------- links and forwarded headers


async def test_links_are_built_on_public_url_whatever_host_is_asked_for(
    database: str, tmp_path: Path, workspace: Account, failed_import: str
):
    with _serving(tmp_path, PUBLIC_URL="https://crm.example.com/") as served:
        # when
        url = await _report_url(served, workspace, failed_import, **FORGED)

    # then
    assert url == f"https://crm.example.com/imports/{failed_import}/errors.csv"


async def test_forwarded_headers_from_an_untrusted_client_change_nothing(
    database: str, tmp_path: Path, workspace: Account, failed_import: str
):
    # given: development without PUBLIC_URL builds links on the request, as before
    with _serving(tmp_path) as served:
        host = served.base_url.removeprefix("http://")

        # when: a client on 127.0.0.1 (uvicorn's default trusted proxy) forges them
        url = await _report_url(served, workspace, failed_import, **{**FORGED, "Host": host})
        log = served.output()

    # then: neither the scheme nor the client's address moved
    assert url == f"http://{host}/imports/{failed_import}/errors.csv"
    assert "127.0.0.1:" in log and "203.0.113.9" not in log


async def test_forwarded_headers_from_a_trusted_proxy_are_believed(
    database: str, tmp_path: Path, workspace: Account, failed_import: str
):
    # given: the control: the same request, through a proxy the settings name
    with _serving(tmp_path, TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1") as served:
        host = served.base_url.removeprefix("http://")

        # when
        url = await _report_url(served, workspace, failed_import, **{**FORGED, "Host": host})
        log = served.output()

    # then
    assert url == f"https://{host}/imports/{failed_import}/errors.csv"
    assert "203.0.113.9" in log
