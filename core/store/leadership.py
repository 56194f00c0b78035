"""One process out of many does a job (polls Telegram), elected by a PostgreSQL advisory lock.

The lock lives as long as the session that took it: the leader keeps one connection open for
it. When the leader dies, even by SIGKILL, its connection closes and PostgreSQL releases the
lock; a standby asking every STANDBY_RETRY_SECONDS takes it within that time. The leader checks
its connection just as often, and stops leading the moment it cannot be sure of the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.store.engine import Database

log = logging.getLogger(__name__)

STANDBY_RETRY_SECONDS = 2.0
CHECK_SECONDS = 2.0
CHECK_TIMEOUT_SECONDS = 3.0


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for `name`."""
    digest = hashlib.sha256(f"newsroom:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Leadership:
    """`await lead()` returns once this process holds the lock; `lost()` returns if it is
    lost; `resign()` gives it up."""

    def __init__(self, database: Database, name: str) -> None:
        self.database = database
        self.name = name
        self.key = lock_key(name)
        self._connection: AsyncConnection | None = None

    @property
    def leading(self) -> bool:
        return self._connection is not None

    async def lead(self) -> None:
        """Wait until this process holds the lock (asking every STANDBY_RETRY_SECONDS)."""
        while True:
            with contextlib.suppress(Exception):
                if await self._try():
                    return
            await asyncio.sleep(STANDBY_RETRY_SECONDS)

    async def _try(self) -> bool:
        connection = await self.database.engine.connect()
        try:
            result = await connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
            got = bool(result.scalar())
            # End the implicit transaction: the session lock outlives it, and an idle
            # transaction would hold back the server's vacuum for as long as this leads.
            await connection.commit()
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def lost(self) -> None:
        """Return when the lock can no longer be trusted (its connection failed)."""
        while (connection := self._connection) is not None:
            await asyncio.sleep(CHECK_SECONDS)
            if connection is not self._connection:
                return  # resigned meanwhile
            try:
                async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                    await connection.execute(text("SELECT 1"))
                    await connection.commit()
            except Exception as exc:
                log.warning("lost the %s lock's connection: %s", self.name, type(exc).__name__)
                await self._drop()
                return

    async def resign(self) -> None:
        """Give the lock up now (a standby takes it within STANDBY_RETRY_SECONDS)."""
        connection = self._connection
        if connection is None:
            return
        with contextlib.suppress(Exception):
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            await connection.commit()
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                # A broken connection must not go back to the pool still holding the lock.
                await connection.invalidate()
                await connection.close()
