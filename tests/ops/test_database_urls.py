"""DATABASE_URL as hosted PostgreSQL services hand it out: libpq's TLS parameters reach asyncpg
(as a DSN of their own, read with libpq's meaning); the rest go to Tortoise as before."""

from __future__ import annotations

import pytest

from crm.db import split_libpq_tls, tortoise_config
from crm.postgres_engine import LibpqAsyncpgClient

HOSTED = (
    "postgres://app:p%40ss@db.example.com:25060/crm"
    "?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem&sslcert=/etc/ssl/client.crt"
    "&sslkey=/etc/ssl/client.key&application_name=crm"
)


def test_libpq_tls_parameters_go_apart_from_the_rest():
    # when
    rest, tls = split_libpq_tls(HOSTED)

    # then
    assert rest == "postgres://app:p%40ss@db.example.com:25060/crm?application_name=crm"
    assert tls == {
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ssl/ca.pem",
        "sslcert": "/etc/ssl/client.crt",
        "sslkey": "/etc/ssl/client.key",
    }


def test_the_connection_carries_them_to_the_libpq_aware_client():
    # when
    connection = tortoise_config(HOSTED)["connections"]["default"]

    # then
    assert connection["engine"] == "crm.postgres_engine"
    credentials = connection["credentials"]
    assert (credentials["host"], credentials["port"], credentials["database"]) == (
        "db.example.com",
        25060,
        "crm",
    )
    assert (credentials["user"], credentials["password"]) == ("app", "p@ss")
    assert credentials["application_name"] == "crm"
    assert credentials["libpq"]["sslmode"] == "verify-full"
    assert "sslmode" not in credentials  # which asyncpg's connect() would refuse


@pytest.mark.parametrize(
    ("url", "dsn"),
    [
        pytest.param("postgres://db/crm", None, id="none"),
        pytest.param(
            "postgresql://db/crm?sslmode=require", "postgres://?sslmode=require", id="postgresql"
        ),
        pytest.param(
            "postgres://db/crm?sslmode=verify-ca&sslrootcert=/ca%20dir/ca.pem",
            "postgres://?sslmode=verify-ca&sslrootcert=%2Fca+dir%2Fca.pem",
            id="quoted-path",
        ),
    ],
)
def test_the_client_hands_asyncpg_a_dsn_of_only_those(url: str, dsn: str | None):
    # given
    credentials = tortoise_config(url)["connections"]["default"]["credentials"]

    # when
    client = LibpqAsyncpgClient(connection_name="default", **credentials)

    # then
    assert client._libpq_dsn == dsn
    assert "libpq" not in client.extra


def test_sqlite_keeps_its_own_engine(tmp_path):
    connection = tortoise_config(f"sqlite://{tmp_path}/crm.sqlite3")["connections"]["default"]

    assert connection["engine"] == "crm.sqlite_engine"
