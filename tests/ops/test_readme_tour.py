"""The README's five-minute tour, run as a reader would: its ```sh blocks, in order, with
bash -e, against a live `crm serve` and an import worker on the suite's database and Redis."""

import json
import re
import subprocess
from pathlib import Path

from crm.redis import redis_url
from crm.settings import get_settings
from tests.ops.processes import CRM, ROOT, START_TIMEOUT, crm_env, crm_serve

README_HOST = "http://127.0.0.1:8000"
STEP = re.compile(r"^# (\d+)\. ", re.MULTILINE)
# Every step's wait is bounded: the whole tour well under this.
TOUR_TIMEOUT = 180


def tour_blocks() -> list[str]:
    """The ```sh blocks of the README's tour section (its subsections included)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## A five-minute tour\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```sh\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)


def tour_script(blocks: list[str], api: str) -> str:
    """One bash script of the blocks, `API` pointed at `api`, printing a marker before each
    numbered step so that each step's output can be told apart."""
    script = "\n".join(blocks).replace(f"API={README_HOST}/graphql", f"API={api}")
    return STEP.sub(lambda m: f'echo "@@step {m.group(1)}@@"\n{m.group(0)}', script)


def steps_output(stdout: str) -> dict[int, str]:
    # Not at a line's start: curl prints a response without a newline after it.
    parts = re.split(r"@@step (\d+)@@\n", stdout)
    return {
        int(number): text.strip() for number, text in zip(parts[1::2], parts[2::2], strict=True)
    }


def test_the_tour_names_one_host_its_api_and_numbers_its_steps():
    # given
    text = "\n".join(tour_blocks())

    # then: every request goes to $API (or the host it names), so one server answers them all
    assert text.count(README_HOST) == 1
    assert f"API={README_HOST}/graphql" in text
    assert [int(n) for n in STEP.findall(text)] == list(range(1, 8))


def test_the_tour_runs_as_written(database: str, tmp_path: Path):
    # given: the API and an import worker, as `make run` starts them, on the suite's stores
    settings = get_settings()
    env = crm_env(
        DATABASE_URL=settings.database_url,
        REDIS_URL=redis_url(settings.redis_url, settings.embedded_redis_path),
    )
    worker_log = tmp_path / "worker.log"
    with worker_log.open("wb") as log:
        worker = subprocess.Popen(
            [*CRM, "worker", "--queue", "imports"], env=env, stdout=log, stderr=log, cwd=tmp_path
        )
    try:
        with crm_serve(tmp_path, env) as served:
            # when: the blocks run in order in one shell, as a reader pastes them
            run = subprocess.run(
                ["bash", "-e", "-c", tour_script(tour_blocks(), f"{served.base_url}/graphql")],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=TOUR_TIMEOUT,
                check=False,
            )
            said = f"{run.stdout}\n{run.stderr}\n{served.output()[-3000:]}"
            said += worker_log.read_text(errors="replace")[-3000:]
    finally:
        worker.terminate()
        worker.wait(timeout=START_TIMEOUT)

    # then: every step did what the README says it does
    assert run.returncode == 0, said
    steps = steps_output(run.stdout)
    assert sorted(steps) == list(range(1, 8)), said
    assert steps[1] == steps[2] == steps[5] == "", said  # they keep a token and ids
    logged = json.loads(steps[3])["data"]["logActivity"]
    assert logged["errors"] == []
    assert logged["activity"]["reminder"] == {
        "dueAt": "2030-01-06T02:00:00+00:00",
        "status": "PENDING",
    }
    found = json.loads(steps[4])["data"]["customers"]
    assert found["totalCount"] == 1
    customer = found["edges"][0]["node"]
    assert customer["name"] == "上海云帆科技有限公司"
    assert customer["contacts"]["edges"][0]["node"]["name"] == "王伟"
    assert customer["activities"]["edges"][0]["node"]["content"] == "客户希望下周看演示"
    job = json.loads(steps[6])["data"]["importJob"]
    assert {k: job[k] for k in ("status", "processedRows", "createdCount", "failedCount")} == {
        "status": "COMPLETED",
        "processedRows": 2,
        "createdCount": 1,
        "failedCount": 1,
    }
    assert job["errorReportUrl"].endswith("/errors.csv")
    report = (tmp_path / "客户-errors.csv").read_bytes()
    assert report.startswith("\ufeff".encode())
    lines = report.decode("utf-8-sig").splitlines()
    assert lines[0] == "客户名称,电话,邮箱,error,row"
    assert len(lines) == 2 and lines[1].startswith("坏电话公司,call me,")
