"""A worker's share of a shared inbox (several processes on PostgreSQL): which chats it takes
on, the scan for what others left it, and letting idle chats go. Platform-neutral: an
adapter gives it its lanes and a way to queue an entry.

A chat stays with its worker while it has work here (its order), so chats are what is shared
out: a worker takes on CHATS_PER_SLOT per handler slot; beyond that, new chats and its idle
ones go to workers with room. Alone, a worker keeps everything: nobody else would take it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from core.inbox.claims import LANE_IDLE_SECONDS, SCAN_SECONDS
from core.inbox.entries import Arrival, Entry
from core.inbox.lanes import Lanes
from core.inbox.store import Inbox
from core.tasks import cancel_and_wait

log = logging.getLogger(__name__)

CHATS_PER_SLOT = 8
# How soon to look again when chats wait for room (work here may be finishing quickly).
SCAN_BUSY_SECONDS = 0.02
STORE_RETRY_SECONDS = 1.0


class ChatSharing:
    """Runs the scan of one platform's shared inbox and budgets the chats taken on receipt."""

    def __init__(
        self,
        inbox: Inbox,
        platform: str,
        lanes: Lanes,
        concurrency: int,
        queue: Callable[[Entry], None],
        room: Callable[[], Awaitable[None]],
    ) -> None:
        self.inbox = inbox
        self.platform = platform
        self.lanes = lanes
        self.max_chats = CHATS_PER_SLOT * concurrency
        self._queue = queue
        self._room = room
        self._touched: dict[str, float] = {}  # when each chat held here last got an entry
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._scan(), name=f"{self.platform}-inbox-scan")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    def touch(self, chat_key: str) -> None:
        """An entry of the chat was queued here."""
        self._touched[chat_key] = time.monotonic()

    def chat_room(self) -> int | None:
        """How many more chats this worker takes on (None: any, as the only worker)."""
        claims = self.inbox.claims
        if claims is None or claims.workers <= 1:
            return None
        return max(0, self.max_chats - self.lanes.active_count())

    async def budget(self, arrivals: Sequence[Arrival]) -> int | None:
        """How many chats not held here to take on with `arrivals`.

        Chats held here but idle count against this worker's room first; those beyond it are
        let go, with their new updates, to workers with room: a busy worker keeps neither its
        idle chats nor new ones."""
        room = self.chat_room()
        claims = self.inbox.claims
        if room is None or claims is None:
            return None
        held = set(claims.holds(self.platform))
        chats = dict.fromkeys(a.chat_key for a in arrivals)
        idle = [c for c in chats if c in held and not self.inbox.busy(self.platform, c)]
        if beyond := idle[room:]:
            await self.inbox.let_go(self.platform, beyond)
        return max(0, room - len(idle))

    async def _scan(self) -> None:
        """Take what other receivers stored for this worker's chats, and chats nobody live
        holds; let go of chats idle here."""
        released_at = time.monotonic()
        while True:
            await self._room()
            try:
                entries = await self.inbox.claim_waiting(self.platform, self.chat_room())
                now = time.monotonic()
                if now - released_at >= LANE_IDLE_SECONDS / 2:
                    released_at = now
                    await self.inbox.let_go(self.platform, self._idle_chats(now))
            except Exception as exc:
                log.warning("inbox scan failed (%s: %s); retrying", type(exc).__name__, exc)
                await asyncio.sleep(STORE_RETRY_SECONDS)
                continue
            for entry in entries:
                self._queue(entry)
            if entries:
                continue  # there may be more
            # Chats wait for room here or elsewhere: look again as soon as some may be free.
            waiting = self.inbox.waiting.get(self.platform, False)
            await asyncio.sleep(SCAN_BUSY_SECONDS if waiting else SCAN_SECONDS)

    def _idle_chats(self, now: float) -> list[str]:
        claims = self.inbox.claims
        if claims is None:
            return []
        idle = [
            chat
            for chat in claims.holds(self.platform)
            if not self.inbox.busy(self.platform, chat)
            and now - self._touched.get(chat, 0.0) > LANE_IDLE_SECONDS
        ]
        for chat in idle:
            self._touched.pop(chat, None)
        return idle
