"""The sign-in throttle of a request: the domain's rule, counting in this deployment's Redis."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from crm.attempt_counters import RedisAttemptCounter
from crm.settings import get_settings
from domain.sign_in_throttle import SignInLimits, SignInThrottle, database_namespace


def sign_in_throttle(connection: HTTPConnection) -> SignInThrottle:
    settings = get_settings()
    return SignInThrottle(
        RedisAttemptCounter(connection.app.state.redis),
        SignInLimits.from_settings(settings),
        namespace=database_namespace(settings.database_url),
    )


def client_address(connection: HTTPConnection) -> str | None:
    # What Starlette reports (the peer, or the address a trusted proxy forwarded).
    return connection.client.host if connection.client else None


def ask_to_retry_after(response: object, seconds: int) -> None:
    """Sets HTTP's Retry-After on the response; a WebSocket has no header to set."""
    if isinstance(response, Response):
        response.headers["Retry-After"] = str(seconds)
