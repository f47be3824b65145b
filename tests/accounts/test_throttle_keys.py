"""Where the sign-in and sign-up counters live in Redis: a namespace that tells deployments
sharing one Redis apart, one Redis Cluster slot for all the keys a script counts, and an
attempt taken back only from the window it was counted in."""

import asyncio
import uuid

import pytest
from arq import ArqRedis
from pydantic import ValidationError
from redis.crc import key_slot

from api.accounts.attempt_counters import RedisAttemptCounter
from crm.settings import Settings
from domain.sign_in_throttle import CounterKeys, Limit, database_namespace
from tests.accounts.conftest import Client
from tests.accounts.support import login, new_address, outcome
from tests.documents import document


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            "postgres://crm:a@db.staging.internal:5432/crm",
            "postgres://crm:a@db.production.internal:5432/crm",
            id="same name, another host",
        ),
        pytest.param(
            "postgres://crm:a@db:5432/crm", "postgres://crm:a@db:5433/crm", id="another port"
        ),
        pytest.param("postgres://crm:a@db/crm", "postgres://crm:a@db/crm_staging", id="name"),
        pytest.param("sqlite:///srv/a/crm.sqlite3", "sqlite:///srv/b/crm.sqlite3", id="sqlite"),
    ],
)
def test_two_databases_count_apart(first: str, second: str):
    assert database_namespace(first) != database_namespace(second)


def test_one_database_counts_together_whatever_its_credentials():
    # A password rotated on one replica before the other must not split the counts.
    assert database_namespace("postgres://crm:old@DB:5432/crm") == database_namespace(
        "postgresql://other:new@db/crm"
    )


@pytest.mark.parametrize("namespace", ["a{b}", "x" * 65, "with space"])
def test_a_namespace_that_would_break_the_hash_tag_is_refused(namespace: str):
    with pytest.raises(ValidationError, match="throttle_namespace"):
        Settings(throttle_namespace=namespace)


async def _keys(redis: ArqRedis, namespace: str) -> list[bytes]:
    return [key async for key in redis.scan_iter(match=f"crm:{{{namespace}}}:*")]


async def test_every_counter_of_a_namespace_is_in_one_cluster_slot(
    client_from: Client, settings_env, arq_redis: ArqRedis
):
    # given: a configured namespace
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    settings_env(THROTTLE_NAMESPACE=namespace)
    http = await client_from(new_address())

    # when: a sign-in and a sign-up from one address
    assert outcome((await login(http, "nobody@example.com", "not the password"))[0]) == "INVALID"
    variables = {
        "workspaceName": "Keys",
        "name": "Ada",
        "email": f"keys-{uuid.uuid4().hex[:8]}@example.com",
        "password": "correct horse battery",
    }
    response = await http.post(
        "/graphql", json={"query": document("signUp"), "variables": variables}
    )
    assert response.json()["data"]["signUp"]["errors"] == []

    # then: four counters (e-mail, address's failures, its attempts, its sign-ups), all
    # under the namespace's hash tag: one slot, so each script's keys may be on a cluster
    keys = await _keys(arq_redis, namespace)
    assert len(keys) == 4
    assert len({key_slot(key) for key in keys}) == 1


async def test_an_attempt_is_taken_back_only_from_its_own_window(arq_redis: ArqRedis):
    # given: an attempt counted in a one-second window that has ended, and one in the next
    counter = RedisAttemptCounter(arq_redis)
    key = CounterKeys(f"test-{uuid.uuid4().hex[:8]}").key("sign-in", "account", "k")
    limits = {key: Limit(most=10, window_seconds=1)}
    first = await counter.count(limits)
    await asyncio.sleep(1.1)
    second = await counter.count(limits)
    assert second.tallies[key].count == 1

    # when: the first attempt is taken back (a success whose check outlived its window)
    await counter.take_back({key: first.tallies[key].window})

    # then: the next window keeps its count (else each success that straddles a window's
    # end makes room for one more guess in the next)
    third = await counter.count(limits)
    assert third.tallies[key].count == 2
    await counter.take_back({key: third.tallies[key].window})
    assert (await counter.count(limits)).tallies[key].count == 2
