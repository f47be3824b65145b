"""The Dockerfile installs the dependencies in a layer of their own, before the code."""

import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.ops.processes import ROOT


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments left out."""
    found: list[tuple[str, str]] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        found.append((keyword.upper(), arguments.strip()))
        pending = ""
    return found


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _first_install() -> int:
    return next(
        i
        for i, (kind, args) in enumerate(_instructions())
        if kind == "RUN" and "pip install" in args
    )


def test_dependencies_are_installed_from_pyproject_alone_before_the_code_is_copied():
    # given
    instructions = _instructions()
    first_install = _first_install()

    # when
    copied_before = [
        args.split()[0] for kind, args in instructions[:first_install] if kind == "COPY"
    ]
    copied_after = [
        args.split()[0] for kind, args in instructions[first_install:] if kind == "COPY"
    ]

    # then: a code change leaves the dependency layer as it was
    assert copied_before == ["pyproject.toml"]
    packages = {
        pattern.rstrip("*")
        for pattern in _pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert packages <= set(copied_after)


def test_the_project_itself_is_installed_without_its_dependencies_after_the_code():
    # given
    instructions = _instructions()
    last_copy = max(i for i, (kind, _) in enumerate(instructions) if kind == "COPY")

    # when
    installs = [
        args for kind, args in instructions[last_copy:] if kind == "RUN" and "pip install" in args
    ]

    # then
    assert len(installs) == 1
    assert "--no-deps" in installs[0]


def test_the_dependency_layer_lists_exactly_pyprojects_dependencies(tmp_path: Path):
    # given: the command that writes the requirements, run where only pyproject.toml is
    run = _instructions()[_first_install()][1]
    command = run.split("&&")[0].split(">")[0].strip()
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    argv = shlex.split(command)
    assert argv[0] == "python"

    # when
    result = subprocess.run(
        [sys.executable, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, check=True
    )

    # then
    assert result.stdout.split() == _pyproject()["project"]["dependencies"]
