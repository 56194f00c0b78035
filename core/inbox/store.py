"""The inbox table's operations: accept arrivals, list what is pending, finish, purge.

Accepting is one group-committed write for a whole batch (a poll's updates, or concurrent
webhook requests queued together), so the platform may forget an event only once it is durable.
Finishing is batched too: a lane does not wait for its mark to commit before taking the next
event; `flush()` waits for every mark made so far (at shutdown). What a crash can lose is the
marks of the last moments, whose events are then handled again at the next start: the
send-then-record instant, counted by the drills.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from core.inbox.claims import SCAN_LIMIT, Claims
from core.inbox.entries import Arrival, Entry
from core.store.engine import Database
from core.store.tables import InboxEntry
from core.store.upsert import insert_for

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

log = logging.getLogger(__name__)

# Handled entries are kept this long: long enough that any re-delivery of them (a poll that
# was never confirmed, a webhook retried after a lost answer) is still a primary-key hit.
KEEP_FINISHED = timedelta(hours=1)
# Rows per purge transaction, and ids per finishing statement.
BATCH = 500
PAGE = 500
MARK_INTERVAL_SECONDS = 0.1
# Finished ids remembered in memory, far more than the marks of one interval (~0.5 MB).
RECENTLY_FINISHED = 4_096
# Marks that fail (the store is away) are retried this often, this many times.
MARK_RETRY_SECONDS = 1.0
MARK_RETRIES = 120
FLUSH_SECONDS = 5.0


class State(StrEnum):
    PENDING = "pending"
    DONE = "done"  # handled (answered, or nothing to answer)
    SKIPPED = "skipped"  # deliberately not handled, e.g. over the per-user command rate
    FAILED = "failed"  # handling raised; never retried (it would fail again)


def _insert_ignoring_known(session: Session) -> postgresql.Insert | sqlite.Insert:
    # A key already present is a re-delivery: skip it inside the statement, so concurrent
    # receivers on PostgreSQL never fail a whole batch on a duplicate.
    return insert_for(session, InboxEntry).on_conflict_do_nothing(index_elements=["key"])


LanesTaken = Callable[[str, list[str]], Awaitable[None]]


class Inbox:
    """The store's inbox: where every platform event waits until it has been handled.

    With `claims` (PostgreSQL), the inbox is shared by several processes: each entry is handed
    out only to the worker holding its chat's lane (core/inbox/claims.py)."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        claims: Claims | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.claims = claims
        # Called with the chats whose lanes this worker has just taken, before their entries
        # are handed out: state mirrored per chat (pending prompts) is read afresh.
        self.on_lanes_taken: LanesTaken | None = None
        # platform -> whether the last scan left chats waiting that it had no room for.
        self.waiting: dict[str, bool] = {}
        self._marks: list[tuple[int, State]] = []
        self._flushing: asyncio.Task[None] | None = None
        self._hurry = asyncio.Event()  # flush() wants the marks now, not after the interval
        # Ids this process finished lately: its own marks may not be in the store yet.
        self._finished: OrderedDict[int, None] = OrderedDict()
        # Ids handed out (by accept or backlog) and not finished yet, with their platform: a
        # re-delivery of one of them is not handed out a second time.
        self._in_hand: dict[int, tuple[str, str]] = {}  # id -> (platform, chat key)
        # (platform, chat key) -> entries in hand: a chat with any is busy here.
        self._busy: Counter[tuple[str, str]] = Counter()

    async def accept(
        self, arrivals: Sequence[Arrival], *, new_chats: int | None = None
    ) -> list[Entry]:
        """Commit `arrivals`; return those still to be handled, in order: the new ones, and
        known ones still pending (their earlier commit's answer was lost, e.g. in an outage).
        A key already handled is a re-delivery and is not returned. A shared inbox returns
        only entries of chats this worker holds, and takes at most `new_chats` chats it did not
        hold (None: any; a busy worker takes fewer): the others wait for workers with room."""
        unique: dict[str, Arrival] = {}
        for arrival in arrivals:
            unique.setdefault(arrival.key, arrival)
        if not unique:
            return []
        received = self.clock()
        rows = [
            {
                "key": a.key,
                "platform": a.platform,
                "chat_key": a.chat_key,
                "payload": a.payload,
                "received_at": received,
                "state": State.PENDING.value,
            }
            for a in unique.values()
        ]

        claims = self.claims
        taken: dict[str, dict[str, str]] = {}

        def unit(session: Session) -> list[Entry]:
            mine: set[tuple[str, str]] | None = None
            if claims is not None:
                taken.clear()
                mine = set()
                for platform in {a.platform for a in unique.values()}:
                    chats = list(
                        dict.fromkeys(
                            a.chat_key for a in unique.values() if a.platform == platform
                        )
                    )
                    if new_chats is not None:
                        # The first `new_chats` chats not held here, in arrival order; the
                        # rest is left to workers with room, which take it on their next scan.
                        held_here = set(claims.holds(platform))
                        fresh = [chat for chat in chats if chat not in held_here][:new_chats]
                        chats = [chat for chat in chats if chat in held_here] + fresh
                    held, taken[platform] = claims.take_lanes(session, platform, chats)
                    mine.update((platform, chat) for chat in held)
                # An update whose chat another live worker holds is stored for that worker.
                for row in rows:
                    if (row["platform"], row["chat_key"]) in mine:
                        row["owner"] = claims.worker_id
                    else:
                        row["owner"] = None
            statement = _insert_ignoring_known(session).returning(
                InboxEntry.id, InboxEntry.key, sort_by_parameter_order=True
            )
            connection = session.connection()
            ids = {key: entry_id for entry_id, key in connection.execute(statement, rows)}
            if known := [key for key in unique if key not in ids]:
                still_pending = select(InboxEntry.id, InboxEntry.key).where(
                    InboxEntry.key.in_(known), InboxEntry.state == State.PENDING.value
                )
                if claims is not None:
                    still_pending = still_pending.where(
                        or_(InboxEntry.owner.is_(None), InboxEntry.owner == claims.worker_id)
                    )
                ids.update({key: entry_id for entry_id, key in connection.execute(still_pending)})
            entries = [
                Entry(ids[a.key], a.key, a.platform, a.chat_key, a.payload)
                for a in unique.values()
                if a.key in ids and (mine is None or (a.platform, a.chat_key) in mine)
            ]
            if claims is not None and (known_mine := [e.id for e in entries if e.key in known]):
                connection.execute(
                    update(InboxEntry)
                    .where(InboxEntry.id.in_(known_mine))
                    .values(owner=claims.worker_id)
                )
            if claims is not None and mine:
                # What other receivers stored for these chats while this worker held them
                # comes first: each chat keeps its order across receivers.
                entries += claims.take_stored(session, mine)
            return sorted(entries, key=lambda entry: entry.id)

        entries = self._hand_out(await self.database.write(unit))
        # In hand before the first await: the chats count as busy here from now on.
        await self._took(taken)
        return entries

    @property
    def shared(self) -> bool:
        """Several processes may share this inbox (PostgreSQL): entries go by lane claims."""
        return self.claims is not None

    async def _took(self, taken: dict[str, dict[str, str]]) -> None:
        if self.claims is None:
            return
        for platform, lanes in taken.items():
            if not lanes:
                continue
            self.claims.hold(platform, lanes)
            if self.on_lanes_taken is not None:
                await self.on_lanes_taken(platform, list(lanes))

    async def claim_waiting(self, platform: str, new_chats: int | None = None) -> list[Entry]:
        """Shared inbox: take the entries no live worker owns, in lanes free, dead or this
        worker's (what other receivers stored for its chats, a crashed worker's backlog, what
        busy receivers left), taking at most `new_chats` chats it did not hold."""
        claims = self.claims
        if claims is None:
            return []
        claimed = await self.database.write(
            lambda session: claims.scan(session, platform, SCAN_LIMIT, new_chats)
        )
        self.waiting[platform] = claimed.left
        entries = self._hand_out(claimed.entries)
        await self._took({platform: claimed.taken})
        return entries

    async def let_go(self, platform: str, chat_keys: Sequence[str]) -> None:
        """Shared inbox: give up the lanes of `chat_keys`, for any worker to take; a chat with
        an entry in hand here is kept (its order)."""
        claims = self.claims
        chat_keys = [chat for chat in chat_keys if not self.busy(platform, chat)]
        if claims is None or not chat_keys:
            return
        tokens = claims.release_locally(platform, chat_keys)
        await self.database.write(lambda session: claims.let_go(session, platform, tokens))

    async def backlog(self, platform: str) -> AsyncIterator[Entry]:
        """Every pending entry of `platform` not already handed out, oldest first, page by
        page (at start-up: what an earlier process committed and did not handle). A shared
        inbox has none: `claim_waiting` takes it, once its worker is known to be gone."""
        if self.claims is not None:
            return
        after = 0
        while page := await self.pending(platform, after=after):
            after = page[-1].id
            for entry in self._hand_out(page):
                yield entry

    def release(self, platform: str) -> None:
        """Forget what was handed out for `platform` and not finished (its handler stopped):
        those entries stay pending in the store for whoever takes the backlog next."""
        for entry_id in [i for i, (p, _) in self._in_hand.items() if p == platform]:
            self._not_in_hand(entry_id)

    def _hand_out(self, entries: list[Entry]) -> list[Entry]:
        # A mark not yet written (or written after this read) must not make a handled entry
        # look pending, nor may an entry being handled be handed out again: a re-delivery in
        # that moment would be handled twice.
        fresh = [
            entry
            for entry in entries
            if entry.id not in self._finished and entry.id not in self._in_hand
        ]
        for entry in fresh:
            self._in_hand[entry.id] = (entry.platform, entry.chat_key)
            self._busy[entry.platform, entry.chat_key] += 1
        return fresh

    async def pending(self, platform: str, *, after: int = 0, limit: int = PAGE) -> list[Entry]:
        """Entries of `platform` not yet handled in the store, oldest first, from after id
        `after` (whether handed out or not)."""

        def find(session: Session) -> list[Entry]:
            rows = session.execute(
                select(
                    InboxEntry.id,
                    InboxEntry.key,
                    InboxEntry.platform,
                    InboxEntry.chat_key,
                    InboxEntry.payload,
                )
                .where(
                    InboxEntry.platform == platform,
                    InboxEntry.state == State.PENDING.value,
                    InboxEntry.id > after,
                )
                .order_by(InboxEntry.id)
                .limit(limit)
            )
            return [Entry(*row) for row in rows]

        return await self.database.read(find)

    def _not_in_hand(self, entry_id: int) -> None:
        chat = self._in_hand.pop(entry_id, None)
        if chat is not None:
            self._busy[chat] -= 1
            if self._busy[chat] <= 0:
                del self._busy[chat]

    def busy(self, platform: str, chat_key: str) -> bool:
        """Whether an entry of the chat is in hand here (handed out and not finished)."""
        return (platform, chat_key) in self._busy

    def finish(self, entry_id: int, state: State = State.DONE) -> None:
        """Mark an entry handled; written in the background with the other marks of the moment."""
        self._marks.append((entry_id, state))
        self._not_in_hand(entry_id)
        self._finished[entry_id] = None
        if len(self._finished) > RECENTLY_FINISHED:
            self._finished.popitem(last=False)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_marks(), name="inbox-finish")

    async def flush(self, within: float = FLUSH_SECONDS) -> None:
        """Wait (up to `within` s) until every mark made so far is written."""
        self._hurry.set()
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    while self._flushing is not None and not self._flushing.done():
                        await asyncio.shield(self._flushing)
        finally:
            self._hurry.clear()
        if self._flushing is not None and not self._flushing.done():
            log.warning(
                "%d inbox marks not written: handled again at the next start", len(self._marks)
            )
            self._flushing.cancel()

    async def _flush_marks(self) -> None:
        failures = 0
        while self._marks:
            if not self._hurry.is_set():
                # Gather the marks of a moment into one write: on SQLite the writer thread's
                # work competes with the event loop for the GIL, so fewer, larger writes keep
                # the loop fast (bench.telegram_read). The price: a crash forgets the marks of
                # the last moment, and those updates are answered again at the next start.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(MARK_INTERVAL_SECONDS):
                        await self._hurry.wait()
            marks, self._marks = self._marks, []
            by_state: dict[State, list[int]] = {}
            for entry_id, state in marks:
                by_state.setdefault(state, []).append(entry_id)
            at = self.clock()

            def mark(
                session: Session,
                by_state: dict[State, list[int]] = by_state,
                at: datetime = at,
            ) -> None:
                # A statement per state and 500 ids, not one per entry: this runs for every
                # update, and SQLite caps the parameters of one statement.
                for state, ids in by_state.items():
                    for start in range(0, len(ids), BATCH):
                        session.connection().execute(
                            update(InboxEntry)
                            .where(InboxEntry.id.in_(ids[start : start + BATCH]))
                            # A handled update is kept only to recognise a re-delivery: its
                            # key will do; what the person sent goes now.
                            .values(state=state.value, finished_at=at, payload="")
                        )

            try:
                await self.database.write(mark)
                failures = 0
            except Exception:
                failures += 1
                if failures > MARK_RETRIES:
                    # Left pending, they are handled again at the next start: a repeat,
                    # never a loss.
                    log.warning("gave up marking %d inbox entries handled", len(marks))
                    continue
                # The store is away (an outage): keep the marks and try again shortly, so
                # entries handled meanwhile are not handled again at the next start.
                log.debug("could not mark %d inbox entries handled; retrying", len(marks))
                self._marks[:0] = marks
                await asyncio.sleep(MARK_RETRY_SECONDS)

    async def purge(self, now: datetime, *, batch: int = BATCH) -> int:
        """Delete handled entries received more than KEEP_FINISHED ago, in small transactions.

        Ids grow with arrival, so the old entries are the low ids: the purge walks the primary
        key up to the first recent one and needs no index of its own (each index is written at
        every update's arrival and finish)."""
        cutoff = now - KEEP_FINISHED

        def boundary(session: Session) -> int | None:
            return session.scalar(
                select(InboxEntry.id)
                .where(InboxEntry.received_at >= cutoff)
                .order_by(InboxEntry.id)
                .limit(1)
            )

        def one_batch(session: Session, below: int | None) -> int:
            old = select(InboxEntry.id).where(InboxEntry.state != State.PENDING.value)
            if below is not None:
                old = old.where(InboxEntry.id < below)
            ids = old.order_by(InboxEntry.id).limit(batch)
            result = session.execute(
                delete(InboxEntry)
                .where(InboxEntry.id.in_(ids.scalar_subquery()))
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

        below = await self.database.read(boundary)
        total = 0
        while (deleted := await self.database.write(lambda s: one_batch(s, below))) > 0:
            total += deleted
            if deleted < batch:
                break
        return total
