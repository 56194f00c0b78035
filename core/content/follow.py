"""Reloads that reach every process of a deployment sharing one PostgreSQL.

A moderator's /reload (or a SIGHUP) reaches one process. That process stores a new token under
`content.reload`; every other process reads the token every few seconds and, when it changed,
reloads its own content directory. A follower never stores a token itself, so reloads do not
echo between processes. On SQLite only one process runs, and nothing follows.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from functools import partial

from core.content.loader import ContentError
from core.store.engine import Database
from core.store.state import read_state, write_state
from core.tasks import cancel_and_wait

log = logging.getLogger(__name__)

RELOAD_KEY = "content.reload"
FOLLOW_SECONDS = 5.0


class ReloadFollower:
    """Announces this process's reloads and follows the others'."""

    def __init__(
        self,
        database: Database,
        reload_here: Callable[[], Awaitable[object]],
        *,
        every: float = FOLLOW_SECONDS,
    ) -> None:
        self.database = database
        self.reload_here = reload_here
        self.every = every
        self._seen: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Follow from now on: a reload announced before this process started is in the
        content it has just loaded."""
        self._seen = await self.database.read(partial(read_state, key=RELOAD_KEY))
        self._task = asyncio.create_task(self._follow(), name="content-reload-follower")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def announce(self) -> None:
        """Tell the other processes this one reloaded; they follow within `every` seconds."""
        token = secrets.token_hex(8)
        # Seen before it is stored: this process's own follower may read the token as soon as
        # it is committed, before the write returns here, and must not take it for another's.
        previous, self._seen = self._seen, token
        try:
            await self.database.write(partial(write_state, key=RELOAD_KEY, value=token))
        except Exception:  # the reload here stands; the others follow the next one, or a SIGHUP
            log.exception("could not tell the other processes to reload their content")
            if self._seen == token:  # not stored, as far as it can tell: keep following
                self._seen = previous

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                token = await self.database.read(partial(read_state, key=RELOAD_KEY))
                if token is None or token == self._seen:
                    continue
                self._seen = token
                log.info("another process reloaded its content: reloading here too")
                await self.reload_here()
            except ContentError:
                pass  # logged by the reload, which keeps the content this process serves
            except Exception:  # the store is away for now: the next turn tries again
                log.warning("could not check for reloads of other processes", exc_info=True)
