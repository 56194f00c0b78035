"""Group commit: the units of work queued together share one transaction.

Under load most of a small write's cost is the transaction around it (session, BEGIN, COMMIT,
an fsync with `synchronous=FULL` or on PostgreSQL, a thread hop on SQLite), not its few
statements. A writer takes every unit waiting when it becomes free (at most `MAX_BATCH`), runs
them one after another in one transaction, commits once, and only then answers each caller:
what a caller is told succeeded is durable exactly as before.

Each unit still behaves as if it had its own transaction, in queue order (`plan`):

1. All units run plainly (no savepoints: on PostgreSQL each is a round trip).
2. If unit k raises, the transaction is rolled back and k gets its exception (it saw the
   effects of the units before it, as it would have in order). Units before k run again and
   the rest after them, each in a savepoint now, in a new transaction.
3. If a transaction fails as a whole (its commit, a deadlock, a lost connection), each unit
   not yet answered runs alone in its own transaction, so no unit fails for another's sake.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BATCH = 32


@dataclass(slots=True, eq=False)
class Queued(Generic[T]):
    """One unit of work waiting for a writer, and where its caller waits for the answer."""

    work: Callable[[Session], T]
    future: asyncio.Future[T]
    result: Any = None
    error: BaseException | None = None


Round = Callable[[Session], None]
"""What to run in one transaction; raising rolls it back."""


class _UnitFailed(Exception):
    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def _plainly(batch: list[Queued[Any]]) -> Round:
    def run(session: Session) -> None:
        for index, item in enumerate(batch):
            try:
                item.result = item.work(session)
            except Exception as exc:
                item.error = exc
                raise _UnitFailed(index) from exc

    return run


def _guarded(before: list[Queued[Any]], after: list[Queued[Any]]) -> Round:
    def run(session: Session) -> None:
        _plainly(before)(session)  # they succeeded on this very state a moment ago
        for item in after:
            try:
                with session.begin_nested():
                    item.result = item.work(session)
            except Exception as exc:
                item.error = exc

    return run


def plan(batch: list[Queued[Any]]) -> Generator[Round, BaseException | None, None]:
    """Yield the transactions that give every unit of `batch` its own outcome, in order.

    The driver runs each yielded round in a new transaction and sends back what it raised.
    """
    failure = yield _plainly(batch)
    if failure is None:
        return
    if isinstance(failure, _UnitFailed):
        if len(batch) == 1:
            return  # the unit has its own error: exactly what running it alone gives
        before, after = batch[: failure.index], batch[failure.index + 1 :]
        failure = yield _guarded(before, after)
        if failure is None:
            return
        alone = before + after
    else:
        alone = batch
    if len(alone) == 1 and not isinstance(failure, _UnitFailed):
        alone[0].error = failure
        return
    for item in alone:
        item.error = None
        failure = yield _plainly([item])
        if failure is not None and not isinstance(failure, _UnitFailed):
            item.error = failure


def settle(batch: list[Queued[Any]]) -> None:
    """Answer every caller of `batch` (on the loop that is waiting for it)."""
    for item in batch:
        if item.future.done():
            continue  # the caller was cancelled; what ran is committed all the same
        if item.error is not None:
            item.future.set_exception(item.error)
        else:
            item.future.set_result(item.result)


def _awaited(batch: list[Queued[Any]]) -> list[Queued[Any]]:
    # Not started and no longer awaited: skip, as an executor skips a cancelled job.
    return [item for item in batch if not item.future.cancelled()]


class SqliteWriter:
    """One thread that owns SQLite's single writer connection and group-commits its queue."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._queue: queue.SimpleQueue[Queued[Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._thread.start()
        self._closed = False

    async def write(self, work: Callable[[Session], T]) -> T:
        if self._closed:
            raise RuntimeError("the store is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put(Queued(work, future))
        return await future

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            if batch := _awaited(batch):
                self._commit(batch)

    def _commit(self, batch: list[Queued[Any]]) -> None:
        rounds = plan(batch)
        failure: BaseException | None = None
        while True:
            try:
                round_ = rounds.send(failure)
            except StopIteration:
                break
            try:
                with self._sessions() as session, session.begin():
                    round_(session)
                failure = None
            except BaseException as exc:  # handed to the callers, who decide what it means
                failure = exc
        by_loop: dict[asyncio.AbstractEventLoop, list[Queued[Any]]] = {}
        for item in batch:
            by_loop.setdefault(item.future.get_loop(), []).append(item)
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(settle, items)
            except RuntimeError:
                log.debug("a write finished after its event loop closed")


class AsyncWriters:
    """A few tasks that group-commit queued units over the async engine (PostgreSQL)."""

    def __init__(self, sessions: async_sessionmaker[Any], writers: int) -> None:
        self._sessions = sessions
        self._writers = writers
        self._queue: deque[Queued[Any]] = deque()
        self._running: set[asyncio.Task[None]] = set()
        # Counted here, not by `_running`: a task that has just seen the queue empty may not
        # have left the set yet, and a unit queued then would wait for no writer.
        self._active = 0
        self._closed = False

    async def write(self, work: Callable[[Session], T]) -> T:
        if self._closed:
            raise RuntimeError("the store is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(Queued(work, future))
        if self._active < self._writers:
            self._active += 1
            task = asyncio.create_task(self._drain(), name="store-writer")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await future

    async def close(self) -> None:
        """Finish what is queued."""
        self._closed = True
        if self._running:
            await asyncio.wait(set(self._running))

    async def _drain(self) -> None:
        # A writer lives while there is work: idle, no task waits on an empty queue.
        try:
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
                if batch := _awaited(batch):
                    try:
                        await self._commit(batch)
                    finally:
                        settle(batch)
        finally:
            self._active -= 1

    async def _commit(self, batch: list[Queued[Any]]) -> None:
        rounds = plan(batch)
        failure: BaseException | None = None
        while True:
            try:
                round_ = rounds.send(failure)
            except StopIteration:
                return
            try:
                async with self._sessions() as session, session.begin():
                    await session.run_sync(round_)
                failure = None
            except asyncio.CancelledError:
                # The writer, not its callers, was cancelled (shutdown): tell them to try again
                # (an event key makes the retry safe whether or not the commit happened).
                for item in batch:
                    item.error = item.error or ConnectionError("the store is shutting down")
                raise
            except Exception as exc:  # handed to the callers, who decide what it means
                failure = exc
