"""Housekeeping while running: purge what the store no longer needs, in small batches.

Handled inbox entries, event keys past any platform's re-delivery window, previews never sent,
daily caps of days gone by and expired prompts. Small transactions, so a purge never holds the
writer for long.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.comments.service import purge_expired
from core.conversation import Conversations
from core.inbox import Inbox
from core.store.engine import Database
from core.tasks import cancel_and_wait

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0
BATCH = 500


@dataclass(frozen=True, slots=True)
class Swept:
    inbox_entries: int
    event_keys_and_drafts: int
    prompts: int


class Housekeeping:
    """Runs `sweep()` at start and then every `interval` seconds until stopped."""

    def __init__(
        self,
        database: Database,
        inbox: Inbox,
        conversations: Conversations,
        clock: Callable[[], datetime],
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        self.database = database
        self.inbox = inbox
        self.conversations = conversations
        self.clock = clock
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def sweep(self) -> Swept:
        """One pass over everything that expires."""
        now = self.clock()
        inbox = await self.inbox.purge(now, batch=BATCH)
        rows = 0
        while (gone := await self.database.write(lambda s: purge_expired(s, now, BATCH))) > 0:
            rows += gone
            if gone < BATCH:
                break
        prompts = await self.conversations.purge(now)
        if (claims := self.inbox.claims) is not None:
            await self.database.write(lambda s: claims.purge(s, now))
        return Swept(inbox, rows, prompts)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="housekeeping")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                swept = await self.sweep()
            except Exception:
                log.warning("housekeeping failed; trying again later", exc_info=True)
                continue
            log.info(
                "housekeeping: %d inbox entries, %d event keys and drafts, %d prompts purged",
                swept.inbox_entries,
                swept.event_keys_and_drafts,
                swept.prompts,
            )
