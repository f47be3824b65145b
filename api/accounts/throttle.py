"""The throttles of a request: the domain's rules, counting in this deployment's Redis, and
the one password-hashing field a request may run."""

from __future__ import annotations

import logging

from starlette.requests import HTTPConnection
from starlette.responses import Response

from api.accounts.attempt_counters import RedisAttemptCounter
from api.core.errors import UserError
from crm.settings import Settings, get_settings
from domain.errors import ErrorCode
from domain.sign_in_throttle import SignInLimits, SignInThrottle, database_namespace
from domain.sign_up_throttle import SignUpLimits, SignUpThrottle

log = logging.getLogger("crm.accounts")


def _namespace(settings: Settings) -> str:
    return settings.throttle_namespace or database_namespace(settings.database_url)


def sign_in_throttle(connection: HTTPConnection) -> SignInThrottle:
    settings = get_settings()
    return SignInThrottle(
        RedisAttemptCounter(connection.app.state.redis),
        SignInLimits.from_settings(settings),
        namespace=_namespace(settings),
    )


def sign_up_throttle(connection: HTTPConnection) -> SignUpThrottle:
    settings = get_settings()
    return SignUpThrottle(
        RedisAttemptCounter(connection.app.state.redis),
        SignUpLimits.from_settings(settings),
        namespace=_namespace(settings),
    )


_unbelieved_proxy = {"told": False}


def client_address(connection: HTTPConnection) -> str | None:
    """The address a sign-in or sign-up is counted from: what Starlette reports, the peer or
    the address a proxy named in TRUSTED_PROXIES forwarded (with TRUSTED_PROXIES=*, whatever
    the client wrote: `crm serve` warns of it)."""
    if (
        not _unbelieved_proxy["told"]
        and "x-forwarded-for" in connection.headers
        and not get_settings().trusted_proxies
    ):
        # Behind a proxy nobody named, every client is counted as the proxy: 100 failures
        # by anyone lock everyone out of signing in. Said once per process.
        _unbelieved_proxy["told"] = True
        log.warning(
            "sign-ins arrive with X-Forwarded-For but TRUSTED_PROXIES is empty: each is "
            "counted as the address it came from (%s); behind a proxy, name it in "
            "TRUSTED_PROXIES, or every client shares the proxy's sign-in limits",
            connection.client.host if connection.client else None,
        )
    return connection.client.host if connection.client else None


def ask_to_retry_after(response: object, seconds: int) -> None:
    """Sets HTTP's Retry-After on the response; a WebSocket has no header to set."""
    if isinstance(response, Response):
        response.headers["Retry-After"] = str(seconds)


def second_password_field(connection: HTTPConnection) -> UserError | None:
    """None for the request's first `login` or `signUp`; the error for any later one.

    Each costs Argon2 work (a sign-in up to five checks, a sign-up a hash), and one
    document may alias a mutation 30 times: one per request bounds what a request can
    cost, whatever the throttles' budgets still allow. A WebSocket connection is one
    request (its connection's state).
    """
    state = connection.state
    if getattr(state, "password_field_ran", False):
        return UserError(
            field=None,
            message="One sign-in or sign-up per request: send each in a request of its own.",
            code=ErrorCode.RATE_LIMITED,
        )
    state.password_field_ran = True
    return None
