"""One line for an operator when the database or Redis does not answer.

A command that cannot reach a dependency should say which one, where, why, and which
variable points there; the traceback of a refused connection (70-odd lines of asyncio and
asyncpg) says none of it plainly. `explain` finds the cause in an exception's chain, or
returns None for a failure that is not about reaching a dependency (then the traceback
is the right thing to show).
"""

from __future__ import annotations

import os
import re
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg

# asyncio's "Multiple exceptions: [Errno 111] Connect call failed …, [Errno 99] …" (a name
# with several addresses) keeps no errno of its own: the first in its text says why.
_ERRNO = re.compile(r"\[Errno (-?\d+)\]")


# libpq's parameters that name files (certificates, keys).
TLS_FILES = ("sslrootcert", "sslcert", "sslkey", "sslcrl")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _why(error: OSError) -> str:
    if isinstance(error, socket.gaierror):
        return "unknown host"
    if isinstance(error, TimeoutError):
        return "timed out"
    number = error.errno
    if number is None and (found := _ERRNO.search(str(error))):
        number = int(found.group(1))
    if number is not None and number > 0:
        return os.strerror(number).lower()
    return str(error) or type(error).__name__


def postgres_address(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


def sqlite_folder_problem(url: str) -> str | None:
    """Why SQLite could not create or open its file at `url`, checked before trying: SQLite
    itself says only "unable to open database file", deep in a traceback."""
    folder = Path(url.removeprefix("sqlite://")).parent
    if not folder.is_dir():
        return f"cannot open the SQLite database in {folder} (DATABASE_URL): no such folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot open the SQLite database in {folder} (DATABASE_URL): permission denied"
    return None


def explain_database(error: BaseException, url: str) -> str | None:
    """Why the PostgreSQL database at `url` (DATABASE_URL) could not be used, in one line;
    or None when `error` is about something else."""
    if url.startswith("sqlite://"):
        return None
    where = postgres_address(url)
    query = parse_qs(urlsplit(url).query)
    sslmode = query.get("sslmode", ["prefer"])[-1]
    over_tls = f"cannot reach PostgreSQL at {where} over TLS (DATABASE_URL sslmode={sslmode})"
    causes = list(_chain(error))
    for cause in causes:  # what the server said, before how the client felt about it
        if isinstance(cause, asyncpg.InvalidCatalogNameError):
            return f"PostgreSQL at {where} says: {cause} (DATABASE_URL); create it first"
        if isinstance(cause, asyncpg.InvalidAuthorizationSpecificationError):
            return f"PostgreSQL at {where} refused the sign-in: {cause} (DATABASE_URL)"
    for cause in causes:
        if isinstance(cause, ssl.SSLError | asyncpg.ClientConfigurationError):
            reason = getattr(cause, "verify_message", None) or getattr(cause, "reason", None)
            # asyncpg's message may go on with a HINT line: the first says it.
            return f"{over_tls}: {reason or str(cause).splitlines()[0]}"
        if isinstance(cause, ConnectionError) and "rejected SSL upgrade" in str(cause):
            return f"{over_tls}: the server does not offer TLS"
        if isinstance(cause, FileNotFoundError) and query.keys() & TLS_FILES:
            files = ", ".join(f"{key}={query[key][-1]}" for key in TLS_FILES if key in query)
            return f"{over_tls}: a file it names does not exist ({files})"
        if isinstance(cause, OSError):
            return f"cannot reach PostgreSQL at {where} (DATABASE_URL): {_why(cause)}"
    return None


def explain_redis(error: BaseException, url: str) -> str | None:
    """Why Redis at `url` (REDIS_URL) could not be used, in one line; or None."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout

    parts = urlsplit(url)
    where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"
    causes = list(_chain(error))
    for cause in causes:  # the socket's own reason, before redis-py's wording of it
        if isinstance(cause, OSError):
            return f"cannot reach Redis at {where} (REDIS_URL): {_why(cause)}"
    for cause in causes:
        if isinstance(cause, RedisConnectionError | RedisTimeout):
            return f"cannot reach Redis at {where} (REDIS_URL): {cause}"
    return None
