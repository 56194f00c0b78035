"""SQLite stays one process: a second process on the same file is refused with a clear reason.

Two processes on one SQLite file would both poll Telegram (409), both resume the inbox and
both post the same moderation cards; only PostgreSQL coordinates several processes. The guard
is an exclusive lock on a file beside the database, which the kernel releases when the process
ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import URL


class StoreInUse(RuntimeError):
    """Another running process has this SQLite store open."""


# Lock files this process holds, with how many open Cores use each: Cores within one process
# (a test's restart, a console beside a bot) share it; another process is refused.
_held: dict[Path, list[int]] = {}


class SingleProcess:
    """Holds the lock file's exclusive lock until the last `release()` of this process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._released = False

    @classmethod
    def claim(cls, url: URL) -> SingleProcess | None:
        """Lock a SQLite store for this process (None for other databases)."""
        if not url.drivername.startswith("sqlite") or not url.database:
            return None
        path = Path(url.database).resolve()
        path = path.with_name(path.name + ".lock")
        if (held := _held.get(path)) is not None:
            held[1] += 1
            return cls(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise StoreInUse(
                f"another process is running on the SQLite store {url.database}. SQLite serves "
                "one process: stop the other one, or set DATABASE_URL to a PostgreSQL database "
                "to run several."
            ) from None
        _held[path] = [descriptor, 1]
        return cls(path)

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        held = _held[self.path]
        held[1] -= 1
        if held[1] == 0:
            del _held[self.path]
            os.close(held[0])  # closing drops the lock
