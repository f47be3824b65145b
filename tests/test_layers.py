"""The layers of docs/ARCHITECTURE.md, held by the code: the API and the workers are two doors
into one domain, and the domain knows neither."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imported_packages(package: str) -> dict[str, set[str]]:
    """module path → top-level packages it imports, for every module of `package`."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("api", {"workers"}), ("workers", {"api"}), ("domain", {"api", "workers"})],
)
def test_a_layer_does_not_import_what_it_must_not_know(package: str, forbidden: set[str]):
    offenders = {
        module: sorted(imported & forbidden)
        for module, imported in _imported_packages(package).items()
        if imported & forbidden
    }
    assert offenders == {}
