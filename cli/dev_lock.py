"""One zero-setup run per folder: the lock beside the embedded Redis.

The embedded Redis is a file-backed server that any process naming the same file attaches
to, and shuts down when it exits. A second `crm dev` in a folder attached to the first
one's Redis, failed on the port, and took that Redis down with it: the first one's
imports stayed QUEUED. So `crm dev` (and `crm serve` when it starts the embedded Redis)
first takes an exclusive `flock` on `crm-dev.lock` beside the Redis file, before touching
anything, and holds it while the process lives; the kernel lets go when it dies, however
it dies, so a stale file never blocks the next run. The file says who holds it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_NAME = "crm-dev.lock"

_held: IO[str] | None = None  # open while this process holds the lock


class FolderInUse(RuntimeError):
    """Another process holds the folder's lock; the message says which."""


def lock_path(embedded_redis_path: str) -> Path:
    return Path(embedded_redis_path).resolve().with_name(LOCK_NAME)


def hold_folder(embedded_redis_path: str, holder: str) -> None:
    """Takes the folder's lock for this process (once; again is a no-op), writing `holder`
    (what a refused run prints) into it; raises FolderInUse if another process has it."""
    global _held
    if _held is not None:
        return
    path = lock_path(embedded_redis_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    file = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.seek(0)
        other = file.read().strip() or "another process"
        file.close()
        raise FolderInUse(
            f"another run holds this folder ({other}; lock {path}): stop it first, "
            "or run from another folder"
        ) from None
    file.seek(0)
    file.truncate()
    file.write(f"{holder}, pid {os.getpid()}\n")
    file.flush()
    _held = file
