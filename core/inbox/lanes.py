"""Fair lanes: each chat's events in order, chats concurrently, no chat able to stall another.

A lane is a chat's queue of jobs with one worker task. A job runs only while its worker holds
one of `concurrency` slots, taken anew for every job: a chat with a backlog goes to the back
of the slot queue after each job, so another chat's next event waits for at most one job
per slot ahead of it (asyncio's semaphore serves waiters first come, first served).

A job that must wait for its chat's outgoing pacing (a group is allowed 20 messages a minute)
gives its slot back for the wait (`async with paced():` around the wait): the chat waits in
its own lane, never in the shared pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[], Awaitable[None]]


class _Slot:
    """The slot a running job holds; released while the job waits on pacing."""

    __slots__ = ("held", "semaphore")

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self.semaphore = semaphore
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.semaphore.release()


_current: ContextVar[_Slot | None] = ContextVar("lane_slot", default=None)


@contextlib.asynccontextmanager
async def paced() -> AsyncIterator[None]:
    """Give the current job's slot back while waiting (for pacing), take it again after."""
    slot = _current.get()
    if slot is None or not slot.held:
        yield
        return
    slot.release()
    try:
        yield
    finally:
        await slot.semaphore.acquire()
        slot.held = True


class Lanes:
    """Runs jobs submitted per key: in order within a key, fairly across keys."""

    def __init__(self, concurrency: int, *, name: str = "lane") -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._name = name
        self._lanes: dict[Hashable, deque[Job]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._queued = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._room = asyncio.Event()
        self._room_below = 0

    def __len__(self) -> int:
        """Jobs submitted and not yet finished."""
        return self._queued

    def active_count(self) -> int:
        """Keys with a job queued or running."""
        return len(self._lanes)

    def submit(self, key: Hashable, job: Job) -> None:
        """Queue `job` behind the earlier jobs of `key`."""
        self._queued += 1
        self._idle.clear()
        lane = self._lanes.get(key)
        if lane is not None:
            lane.append(job)
            return
        lane = self._lanes[key] = deque([job])
        worker = asyncio.create_task(self._work(key, lane), name=f"{self._name}-{key}")
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        """Run `call` in `key`'s lane and return its result (or raise its exception)."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        async def job() -> None:
            try:
                result = await call()
            except BaseException as exc:
                if not done.cancelled():
                    done.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                return
            if not done.cancelled():
                done.set_result(result)

        self.submit(key, job)
        return await done

    async def _work(self, key: Hashable, lane: deque[Job]) -> None:
        try:
            while lane:
                job = lane[0]
                await self._slots.acquire()
                slot = _Slot(self._slots)
                token = _current.set(slot)
                try:
                    await job()
                except Exception:
                    log.exception("a job in lane %s failed", key)
                finally:
                    _current.reset(token)
                    slot.release()
                lane.popleft()
                self._done_one()
        finally:
            # No await between the empty check and here: a submit cannot slip in between.
            if self._lanes.get(key) is lane:
                del self._lanes[key]
                self._queued -= len(lane)  # left behind by a cancellation
                if self._queued <= 0:
                    self._queued = 0
                    self._idle.set()
                self._room.set()

    def _done_one(self) -> None:
        self._queued -= 1
        if self._queued < self._room_below:
            self._room_below = 0
            self._room.set()
        if self._queued == 0:
            self._idle.set()

    async def below(self, limit: int) -> None:
        """Wait until fewer than `limit` jobs are queued (back-pressure for intake)."""
        while self._queued >= limit:
            # Several waiters may wait for different limits: wake them all at the highest,
            # and each looks again at its own.
            self._room_below = max(self._room_below, limit)
            self._room.clear()
            await self._room.wait()

    async def join(self, within: float) -> int:
        """Wait up to `within` s for every lane to empty; cancel the rest; return how many
        jobs were left unfinished."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._idle.wait()
        left = self._queued
        workers = set(self._workers)
        for worker in workers:
            worker.cancel()
        if workers:
            await asyncio.gather(*workers, return_exceptions=True)
        return left
