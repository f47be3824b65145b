"""The layers of docs/ARCHITECTURE.md, held by the code, read top-down: the `crm` command
(`cli/`) starts the two doors, the API and the workers, into one domain; the domain stands on
the models and on `crm/`'s settings; `crm/` is the bottom (settings, database, Redis, queues,
logs) and knows none of them. A migration knows none of the live code at all."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(package: str) -> dict[str, set[str]]:
    """module path → modules it imports (dotted, as written), for every module of `package`."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from crm import queues` imports crm.queues: name what is imported.
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(ROOT))] = names
    return found


def _imported_packages(package: str) -> dict[str, set[str]]:
    """module path → top-level packages it imports, for every module of `package`."""
    return {
        module: {name.split(".")[0] for name in names}
        for module, names in _imported_modules(package).items()
    }


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("api", {"workers", "cli"}),
        ("workers", {"api", "cli"}),
        ("domain", {"api", "workers", "cli"}),
        ("models", {"domain", "api", "workers", "cli", "crm"}),
        # The bottom: what every layer stands on stands on none of them.
        ("crm", {"domain", "api", "workers", "cli", "models"}),
    ],
)
def test_a_layer_does_not_import_what_it_must_not_know(package: str, forbidden: set[str]):
    offenders = {
        module: sorted(imported & forbidden)
        for module, imported in _imported_packages(package).items()
        if imported & forbidden
    }
    assert offenders == {}


def _within(name: str, packages: set[str]) -> bool:
    return any(name == package or name.startswith(f"{package}.") for package in packages)


def test_scoring_and_follow_ups_stand_apart_from_imports():
    # Imports call the rules, never the other way round; the bulk writes they share with
    # scoring and follow-ups live beside the domain's SQL helper (domain/bulk_sql.py).
    offenders = {
        module: sorted(name for name in imported if _within(name, {"domain.imports"}))
        for package in ("domain/scoring",)
        for module, imported in _imported_modules(package).items()
    }
    offenders["domain/follow_ups.py"] = sorted(
        name
        for name in _imported_modules("domain")["domain/follow_ups.py"]
        if _within(name, {"domain.imports"})
    )
    assert {module: names for module, names in offenders.items() if names} == {}


def test_the_domain_takes_only_settings_from_crm():
    # The domain decides; the database, Redis and queues are the doors' business (a door
    # passes the domain what it needs). Settings are configuration, the domain's to read.
    offenders = {
        module: sorted(name for name in imported if _within(name, {"crm"}))
        for module, imported in _imported_modules("domain").items()
        if any(_within(name, {"crm"}) and not _within(name, {"crm.settings"}) for name in imported)
    }
    assert offenders == {}


# Whatever Tortoise's writer puts in a migration besides Tortoise itself: the enum types of
# CharEnumFields (`make migrations` writes `from models.enums import …`, and the autodetector
# compares those fields' types with the models').
MIGRATIONS_MAY_IMPORT = {"models.enums"}


def test_no_migration_imports_live_code():
    # A migration must do forever what it did when written: what it needs of a rule is
    # frozen in it (0008 keeps its own copy of normalize_phone), never imported.
    live = {"domain", "api", "workers", "cli", "crm", "models"}
    offenders = {
        module: sorted(name for name in imported if _within(name, live))
        for module, imported in _imported_modules("models/migrations").items()
        if any(
            _within(name, live) and not _within(name, MIGRATIONS_MAY_IMPORT) for name in imported
        )
    }
    assert offenders == {}
