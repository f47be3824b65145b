"""`crm serve` stops on the signals operators send, and takes its embedded Redis with it."""

import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.ops.processes import STOP_TIMEOUT, crm_env, crm_serve, embedded_redis_under

STOP_SIGNALS = [
    pytest.param(signal.SIGINT, id="SIGINT"),
    pytest.param(signal.SIGTERM, id="SIGTERM"),
]


@pytest.mark.parametrize("stop_signal", STOP_SIGNALS)
def test_serve_stops_with_its_embedded_redis(tmp_path: Path, stop_signal: int):
    # given: `crm serve` on SQLite with an embedded Redis beside it
    env = crm_env(
        DATABASE_URL=f"sqlite://{tmp_path / 'crm.sqlite3'}",
        REDIS_URL=None,
        EMBEDDED_REDIS_PATH=str(tmp_path / "redis.db"),
    )
    with crm_serve(tmp_path, env, stop_signal=stop_signal) as served:
        assert httpx.get(f"{served.base_url}/readyz", timeout=10).json()["redis"] == "ok"
        embedded = embedded_redis_under(tmp_path)
        assert embedded, "no embedded Redis was started in the working directory"

        # when
        served.process.send_signal(stop_signal)

        # then
        try:
            served.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"crm serve still running {STOP_TIMEOUT}s after {stop_signal.name}")
        left = embedded_redis_under(tmp_path)
    assert left == [], f"the embedded Redis outlived crm serve ({stop_signal.name})"
