"""`crm migrate --wait`: wait until the database server accepts TCP connections.

In docker compose the migration starts with PostgreSQL; "healthy" by `pg_isready` on its own
socket is not yet "reachable over the network from another container", and a migration that
gives up at once leaves the API waiting on it for nothing.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from urllib.parse import urlparse

POSTGRES_PORT = 5432


class DatabaseUnreachable(RuntimeError):
    """The database server did not accept a connection in time."""


def database_address(url: str) -> tuple[str, int] | None:
    """The (host, port) a database URL connects to; None for SQLite (a file)."""
    parts = urlparse(url)
    if not parts.scheme.startswith("postgres"):
        return None
    return parts.hostname or "localhost", parts.port or POSTGRES_PORT


def wait_for_database(
    url: str, timeout: float, *, say: Callable[[str], None] = print, pause: float = 1.0
) -> None:
    """Returns once the server of `url` accepts a TCP connection, trying every `pause`
    seconds for up to `timeout`; raises DatabaseUnreachable after that."""
    address = database_address(url)
    if address is None:
        return
    deadline = time.monotonic() + timeout
    said = False
    while True:
        try:
            with socket.create_connection(address, timeout=min(2.0, max(timeout, 0.1))):
                return
        except OSError as error:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DatabaseUnreachable(
                    f"crm migrate: the database at {address[0]}:{address[1]} did not accept a "
                    f"connection within {timeout:g}s ({error})"
                ) from None
            if not said:
                say(f"waiting for the database at {address[0]}:{address[1]} ({error})")
                said = True
            time.sleep(min(pause, left))
