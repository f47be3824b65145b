"""`crm seed` builds a demo workspace worth exploring, through the domain, once, and never in
production unless forced; read back through the API, on the suite's database."""

import subprocess
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cli.seed import TIMEZONE
from crm.settings import get_settings
from tests.documents import document
from tests.helpers import GraphQL
from tests.ops.processes import CRM, crm_env

PASSWORD = "demo-password"
WORKSPACE = "{ workspace { id name timezone } }"
REPORT = """
{ pipelineReport {
    currency currencies openCount wonCount lostCount winRate averageDaysToClose
    stages { stage { name kind } openCount enteredCount convertedCount conversionRate }
} }
"""
CUSTOMERS = """
{ customers(first: 100) {
    totalCount
    edges { node { name phone score scoreBreakdown { reason } owner { id role }
                   contacts { totalCount } activities(first: 1) { totalCount } } }
} }
"""
REMINDERS = """
query($before: DateTime!) {
  reminders(first: 100, filter: {allUsers: true, status: PENDING, dueBefore: $before}) {
    edges { node { dueAt user { id } } }
  }
}
"""


def _seed(tmp_path: Path, email: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = get_settings()
    return subprocess.run(
        [*CRM, "seed", "--email", email, "--password", PASSWORD],
        env=crm_env(DATABASE_URL=settings.database_url, **env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def _sign_in(gql: GraphQL, email: str) -> str:
    payload = (await gql.execute(document("login"), {"email": email, "password": PASSWORD})).ok()[
        "login"
    ]
    assert payload["errors"] == []
    return payload["token"]


@pytest.fixture(scope="module")
async def demo(
    database: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, subprocess.CompletedProcess[str]]:
    """One demo workspace, seeded into the suite's database, for the tests that read it."""
    email = f"demo-{uuid.uuid4().hex[:8]}@example.com"
    return email, _seed(tmp_path_factory.mktemp("seed"), email)


async def test_seed_prints_the_workspace_and_how_to_sign_in(demo, gql: GraphQL):
    # given
    email, seeded = demo
    token = await _sign_in(gql, email)

    # when
    workspace = (await gql.execute(WORKSPACE, token=token)).ok()["workspace"]

    # then: the id is the API's own, with the sign-in beside it
    assert seeded.returncode == 0, seeded.stderr
    assert workspace["id"] in seeded.stdout
    assert f"{email} / {PASSWORD}" in seeded.stdout
    assert workspace["timezone"] == TIMEZONE


async def test_the_pipeline_report_shows_win_rates_and_conversion(demo, gql: GraphQL):
    # given
    email, _ = demo
    token = await _sign_in(gql, email)

    # when
    report = (await gql.execute(REPORT, token=token)).ok()["pipelineReport"]

    # then: deals in every stage, won and lost ones among them, moved stage by stage
    assert report["currencies"] == ["CNY", "USD"]
    assert report["wonCount"] > 0 and report["lostCount"] > 0
    assert 0 < report["winRate"] < 1
    assert report["averageDaysToClose"] > 1
    by_kind = Counter()
    for stage in report["stages"]:
        by_kind[stage["stage"]["kind"]] += stage["enteredCount"]
        if stage["stage"]["kind"] == "OPEN":
            assert stage["openCount"] > 0, stage
            assert stage["enteredCount"] > 0, stage
    assert by_kind["WON"] > 0 and by_kind["LOST"] > 0
    first = report["stages"][0]
    assert 0 < first["convertedCount"] < first["enteredCount"]
    assert 0 < first["conversionRate"] < 1


async def test_customers_are_shared_by_three_reps_contacted_and_scored(demo, gql: GraphQL):
    # given
    email, _ = demo
    token = await _sign_in(gql, email)

    # when
    customers = (await gql.execute(CUSTOMERS, token=token)).ok()["customers"]

    # then: about 50, in Chinese and English, each with its history and a score with reasons
    nodes = [edge["node"] for edge in customers["edges"]]
    assert customers["totalCount"] == 50
    owners = Counter(node["owner"]["id"] for node in nodes)
    assert len(owners) == 3 and min(owners.values()) >= 15
    assert {node["owner"]["role"] for node in nodes} == {"REP"}
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in node["name"]) for node in nodes)
    assert any(node["name"].isascii() for node in nodes)
    activities = sum(node["activities"]["totalCount"] for node in nodes)
    assert 200 <= activities <= 600
    assert all(node["score"] is not None and node["scoreBreakdown"] for node in nodes)
    assert len({node["score"] for node in nodes}) > 10
    assert sum(node["contacts"]["totalCount"] for node in nodes) > 50


async def test_reminders_are_due_today_and_overdue(demo, gql: GraphQL):
    # given
    email, _ = demo
    token = await _sign_in(gql, email)
    now = datetime.now(UTC)
    local = now.astimezone(ZoneInfo(TIMEZONE))
    end_of_today = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)

    # when: everyone's reminders still to do by the end of the workspace's day
    result = await gql.execute(REMINDERS, {"before": end_of_today.isoformat()}, token=token)

    # then: some overdue, some later today, for the reps and for the signed-in admin
    due = [edge["node"] for edge in result.ok()["reminders"]["edges"]]
    instants = [datetime.fromisoformat(node["dueAt"]) for node in due]
    assert sum(instant < now for instant in instants) >= 5
    assert sum(instant >= now for instant in instants) >= 5
    assert len({node["user"]["id"] for node in due}) == 4


async def test_seeding_again_changes_nothing(demo, gql: GraphQL, tmp_path: Path):
    # given
    email, first = demo

    # when
    again = _seed(tmp_path, email)

    # then
    assert again.returncode == 0, again.stderr
    assert "already there" in again.stdout
    token = await _sign_in(gql, email)
    assert (await gql.execute(CUSTOMERS, token=token)).ok()["customers"]["totalCount"] == 50
    workspace = (await gql.execute(WORKSPACE, token=token)).ok()["workspace"]
    assert workspace["id"] in first.stdout and workspace["id"] in again.stdout


async def test_production_is_refused_without_force(database: str, gql: GraphQL, tmp_path: Path):
    # given
    email = f"demo-{uuid.uuid4().hex[:8]}@example.com"

    # when
    refused = _seed(tmp_path, email, CRM_ENV="production", SECRET_KEY="s" * 40)

    # then: nothing written, and the way to insist is named
    assert refused.returncode != 0
    assert "--force" in refused.stderr
    login = (await gql.execute(document("login"), {"email": email, "password": PASSWORD})).ok()[
        "login"
    ]
    assert login["token"] is None
