"""A bad configuration value stops the `crm` command with one line naming the variable."""

from pathlib import Path

import pytest

from tests.ops.processes import crm_env, run_crm

BAD_VALUES = [
    pytest.param({"MAX_PAGE_SIZE": "abc"}, "MAX_PAGE_SIZE", id="not-a-number"),
    pytest.param({"MAX_PAGE_SIZE": "0"}, "MAX_PAGE_SIZE", id="page-size-below-one"),
    pytest.param({"MAX_QUERY_DEPTH": "1"}, "MAX_QUERY_DEPTH", id="depth-below-two"),
    pytest.param({"DATABASE_URL": "mysql://x"}, "DATABASE_URL", id="unknown-database"),
    pytest.param({"REDIS_URL": "http://cache:6379"}, "REDIS_URL", id="unknown-redis"),
    pytest.param({"CRM_ENV": "staging"}, "CRM_ENV", id="unknown-environment"),
    pytest.param({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL", id="unknown-log-level"),
    pytest.param({"ALLOW_SIGNUP": "perhaps"}, "ALLOW_SIGNUP", id="not-a-boolean"),
    pytest.param(
        {"CRM_ENV": "production", "SECRET_KEY": None}, "SECRET_KEY", id="production-no-secret"
    ),
    pytest.param(
        {"CRM_ENV": "production", "SECRET_KEY": ""}, "SECRET_KEY", id="production-empty-secret"
    ),
    pytest.param(
        {"CRM_ENV": "production", "SECRET_KEY": "x" * 31},
        "SECRET_KEY",
        id="production-short-secret",
    ),
    pytest.param({"PORT": "abc"}, "PORT", id="port-not-a-number"),
    pytest.param({"PORT": "70000"}, "PORT", id="port-out-of-range"),
    pytest.param(
        {"DATABASE_URL": "postgres://db/crm?sslmode=required"}, "DATABASE_URL", id="unknown-sslmode"
    ),
    pytest.param({"MAX_BODY_BYTES": "100"}, "MAX_BODY_BYTES", id="body-limit-below-1-kib"),
    pytest.param(
        {"MAX_BODY_BYTES": "2097152", "MAX_IMPORT_BODY_BYTES": "1048576"},
        "MAX_IMPORT_BODY_BYTES",
        id="import-body-limit-below-body-limit",
    ),
    pytest.param({"PUBLIC_URL": "crm.example.com"}, "PUBLIC_URL", id="public-url-no-scheme"),
    pytest.param({"PUBLIC_URL": "https://crm.example.com/?a=1"}, "PUBLIC_URL", id="url-query"),
    pytest.param({"TRUSTED_PROXIES": "10.0.0.1,proxy"}, "TRUSTED_PROXIES", id="proxy-name"),
    pytest.param({"TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES", id="proxy-bad-cidr"),
]


@pytest.mark.parametrize(("overrides", "variable"), BAD_VALUES)
def test_bad_value_exits_with_one_line_naming_the_variable(
    tmp_path: Path, overrides: dict[str, str | None], variable: str
):
    # given
    output = tmp_path / "schema.graphql"

    # when
    done = run_crm("export-schema", "--output", str(output), env=crm_env(**overrides))

    # then
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert variable in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
    assert not output.exists()


def test_good_configuration_runs_the_command(tmp_path: Path):
    # given: the same command with valid values, so the failures above are the values' doing
    output = tmp_path / "schema.graphql"
    env = crm_env(
        MAX_PAGE_SIZE="50",
        CRM_ENV="production",
        SECRET_KEY="s" * 32,
        LOG_LEVEL="debug",
        PORT="8001",
        DATABASE_URL="postgres://db/crm?sslmode=verify-full&sslrootcert=/etc/ca.pem",
    )

    # when
    done = run_crm("export-schema", "--output", str(output), env=env)

    # then
    assert done.returncode == 0, done.stderr
    assert output.exists()
