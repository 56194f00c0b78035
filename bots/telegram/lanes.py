"""One lane per chat: a chat's updates run in order, chats run concurrently."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable

from telegram import Update

from bots.telegram.processor import chat_key

log = logging.getLogger(__name__)


class ChatLanes:
    """Runs `handle(update)` for each submitted update, at most `concurrency` at once.

    A reader who sends `/comment` and then the text must not have the text handled first, so a
    chat's updates wait for each other. An update waiting for its chat holds no slot: a slow or
    flood-paced chat with a backlog cannot take the slots other chats need (PTB's update
    processors take the slot first, then wait for the chat).
    """

    def __init__(
        self,
        handle: Callable[[Update], Awaitable[None]],
        concurrency: int,
        finished: Callable[[Update], None],
    ) -> None:
        self._handle = handle
        self._finished = finished
        self._slots = asyncio.Semaphore(concurrency)
        self._lanes: dict[Hashable, deque[Update]] = {}
        self._workers: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return sum(len(lane) for lane in self._lanes.values())

    def submit(self, update: Update) -> None:
        key = chat_key(update)
        lane_key: Hashable = key if key is not None else ("update", update.update_id)
        lane = self._lanes.get(lane_key)
        if lane is not None:
            lane.append(update)
            return
        lane = self._lanes[lane_key] = deque([update])
        worker = asyncio.create_task(self._work(lane_key, lane), name=f"telegram-lane-{key}")
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _work(self, key: Hashable, lane: deque[Update]) -> None:
        try:
            while lane:
                update = lane[0]
                async with self._slots:
                    try:
                        await self._handle(update)
                    except Exception:
                        # PTB's error handler already ran; this is a failure outside handlers.
                        # Confirming it anyway keeps one poisonous update from coming forever.
                        log.exception("update %s could not be processed", update.update_id)
                lane.popleft()
                self._finished(update)
        finally:
            # No await between the empty check and here: a submit cannot slip in between.
            if self._lanes.get(key) is lane:
                del self._lanes[key]

    async def join(self, within: float) -> int:
        """Wait up to `within` s for every lane to empty; cancel the rest, return how many
        updates were left unhandled."""
        if self._workers:
            await asyncio.wait(set(self._workers), timeout=within)
        left = len(self)
        workers = set(self._workers)
        for worker in workers:
            worker.cancel()
        if workers:
            await asyncio.gather(*workers, return_exceptions=True)
        return left
