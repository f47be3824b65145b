"""The throttle's window and its failure mode, on the domain's sign-in with the real Redis:
a window's count expires with it; with Redis down, signing in goes on unthrottled."""

import asyncio
import logging
import uuid

import pytest
from arq import ArqRedis
from redis.asyncio import Redis

from api.accounts.attempt_counters import RedisAttemptCounter
from domain import accounts
from domain.errors import DomainError, ErrorCode
from domain.sign_in_throttle import (
    SignInLimits,
    SignInThrottle,
    SignInThrottled,
    address_key_part,
)
from tests.helpers import Account, GraphQL

# Seconds an attempt may take with Redis down: a hang guard, no measure (see its test).
HANG_GUARD = 10.0


def _throttle(redis, *, per_account: int = 2, per_address: int = 100, window: int = 1):
    # A namespace per test: nothing else counts under it.
    return SignInThrottle(
        RedisAttemptCounter(redis),
        SignInLimits(
            failures_per_account=per_account,
            failures_per_address=per_address,
            attempts_per_address=1000,
            window_seconds=window,
        ),
        namespace=f"test-{uuid.uuid4().hex[:8]}",
    )


async def _code(attempt) -> ErrorCode:
    with pytest.raises(DomainError) as raised:
        await attempt
    return raised.value.problems[0].code


async def test_the_count_expires_with_its_window(workspace: Account, arq_redis: ArqRedis):
    # given: a one-second window, two failures allowed, both spent
    throttle = _throttle(arq_redis)
    sign_in = dict(client_address="198.51.100.1", throttle=throttle)
    for _ in range(2):
        assert await _code(accounts.log_in(workspace.email, "wrong", **sign_in)) == "INVALID"
    with pytest.raises(SignInThrottled) as refused:
        await accounts.log_in(workspace.email, workspace.password, **sign_in)
    assert refused.value.retry_after == 1
    assert "Try again in 1 second." in refused.value.problems[0].message

    # when: the window ends
    await asyncio.sleep(1.1)
    user = await accounts.log_in(workspace.email, workspace.password, **sign_in)

    # then
    assert user.email == workspace.email


async def test_the_address_limit_counts_accounts_together(gql: GraphQL, arq_redis: ArqRedis):
    # given: an address allowed 3 failures, spent on two accounts
    first, second = await gql.sign_up(), await gql.sign_up()
    throttle = _throttle(arq_redis, per_account=10, per_address=3, window=60)
    sign_in = dict(client_address="198.51.100.2", throttle=throttle)
    for email in (first.email, first.email, second.email):
        assert await _code(accounts.log_in(email, "wrong", **sign_in)) == "INVALID"

    # when / then: any account from that address is refused; from another it signs in
    with pytest.raises(SignInThrottled):
        await accounts.log_in(second.email, second.password, **sign_in)
    other_address = dict(client_address="198.51.100.3", throttle=throttle)
    assert await accounts.log_in(second.email, second.password, **other_address)


async def test_with_redis_down_sign_in_goes_on_unthrottled(
    workspace: Account, caplog: pytest.LogCaptureFixture, unused_tcp_port: int
):
    # given: a throttle whose Redis does not answer (nothing listens on the port)
    down = Redis(host="127.0.0.1", port=unused_tcp_port, socket_connect_timeout=1)
    throttle = _throttle(down, per_account=1)
    sign_in = dict(client_address="198.51.100.4", throttle=throttle)

    # when: each attempt under a hang guard, ten times Redis's 1 s connect timeout: an
    # attempt that waited for Redis to answer would never end
    with caplog.at_level(logging.WARNING, logger="crm.accounts"):
        codes = [
            await asyncio.wait_for(
                _code(accounts.log_in(workspace.email, "wrong", **sign_in)), HANG_GUARD
            )
            for _ in range(3)
        ]
        user = await asyncio.wait_for(
            accounts.log_in(workspace.email, workspace.password, **sign_in), HANG_GUARD
        )
    await down.aclose()

    # then: failures are still wrong passwords, the right one signs in, and the log says why
    assert codes == ["INVALID"] * 3
    assert user.email == workspace.email
    assert "sign-in throttle unavailable" in caplog.text


@pytest.mark.parametrize(
    ("host", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
        (None, None),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64(host: str | None, counted_as: str | None):
    assert address_key_part(host) == counted_as
