"""docker-compose.yml runs only what the `crm` command offers, configured with known settings."""

from typing import Any

import pytest
import yaml

from cli.main import build_parser
from crm.settings import Settings
from tests.ops.processes import ROOT


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _crm_commands() -> list[tuple[str, list[str]]]:
    """Every argv a service runs with `crm`: its command and its health check."""
    found = []
    for name, service in _compose()["services"].items():
        command = service.get("command")
        if isinstance(command, list) and command and command[0] == "crm":
            found.append((f"{name}.command", command))
        test = (service.get("healthcheck") or {}).get("test")
        if isinstance(test, list) and test[:2] == ["CMD", "crm"]:
            found.append((f"{name}.healthcheck", test[1:]))
    return found


def test_compose_runs_the_crm_services():
    # given / when
    where = {place for place, _ in _crm_commands()}

    # then: the one-shot migration, the API and the workers, as the README promises
    assert {"migrate.command", "api.command", "worker.command"} <= where


@pytest.mark.parametrize(("place", "argv"), _crm_commands(), ids=lambda value: str(value))
def test_every_crm_command_in_compose_parses(place: str, argv: list[str]):
    # given
    parser = build_parser()

    # when
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit as error:  # argparse exits on an unknown command or option
        pytest.fail(f"{place}: `{' '.join(argv)}` is not a crm command ({error})")

    # then
    assert callable(args.handler)


def test_compose_environment_is_valid_settings():
    # given: the shared environment of the crm services, with the secret interpolated
    environment = dict(_compose()["x-crm"]["environment"])
    environment["SECRET_KEY"] = "from-the-operator-32-bytes-at-least"
    known = {name.upper() for name in Settings.model_fields}

    # when
    settings = Settings(**{name.lower(): value for name, value in environment.items()})

    # then
    assert set(environment) <= known
    assert settings.crm_env == "production"
    assert settings.is_postgres
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.graphiql is False


def test_api_healthcheck_probes_a_route_the_app_serves():
    # given
    from api.app import create_app

    test = " ".join(_compose()["services"]["api"]["healthcheck"]["test"])
    paths = {route.path for route in create_app().routes}

    # then
    assert "http://127.0.0.1:8000/readyz" in test
    assert "/readyz" in paths


def test_long_running_services_come_back_by_themselves_and_the_migration_does_not():
    # given
    services = _compose()["services"]

    # then: what still exits (a crash, the database away at start) is restarted by compose
    for name in ("api", "worker", "import-worker"):
        assert services[name].get("restart") == "unless-stopped", name
    assert services["migrate"].get("restart") == "no"


def test_the_migration_waits_for_postgres_to_accept_connections():
    # given
    command = _compose()["services"]["migrate"]["command"]

    # when
    args = build_parser().parse_args(command[1:])

    # then: `crm migrate --wait` retries the TCP connection before migrating, for a while
    assert args.handler.__name__ == "cmd_migrate"
    assert args.wait >= 60


def test_each_worker_replica_checks_its_own_health():
    # given
    services = _compose()["services"]
    parser = build_parser()

    for name in ("worker", "import-worker"):
        # when
        runs = parser.parse_args(services[name]["command"][1:])
        checks = parser.parse_args(services[name]["healthcheck"]["test"][2:])

        # then: the probe asks about its own queue, and (no --replica) about the replica of
        # its own container's host name, which every replica has apart
        assert checks.check and not runs.check
        assert checks.queue == runs.queue, name
        assert checks.replica is None and runs.replica is None, name
        assert "hostname" not in services[name], f"{name}: replicas would share a host name"
