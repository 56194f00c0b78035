"""Several processes on one PostgreSQL: who handles which chat, with leases.

Every process registers as a worker (table `workers`) and renews its lease every few seconds.
A chat's lane (table `inbox_lanes`) belongs to one live worker at a time, and an inbox entry is
handled by the worker whose id it carries (`inbox.owner`). A worker:

- receiving updates (webhook or poll) claims their lanes in the same transaction that stores
  them; an update whose chat another live worker holds is stored with no owner, for that one;
- scans for entries nobody live owns, in lanes free or its own, every fraction of a second:
  what other receivers stored for its chats, what busy receivers left, and a crashed worker's
  chats once its lease ran out. A chat's lane row is locked before its entries, by everyone,
  so a chat moves whole and in order, and two claimers of one chat queue on its lane row;
- takes on only so many chats at once (the caller's room), so busy workers leave new chats to
  others, and lets go of a lane once it has been idle for a while;
- hands everything back at once when stopped (SIGTERM), instead of letting leases run out.

A worker whose lease lapsed (its store was away longer than the lease) may have lost its lanes
to others: it drops what it holds and starts over rather than handle a chat twice.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.inbox.entries import Entry
from core.store.tables import InboxEntry, InboxLane, Worker

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=15)
# Renewal interval: three chances to renew before the lease runs out.
HEARTBEAT_SECONDS = 5.0
SCAN_SECONDS = 0.2
SCAN_LIMIT = 200
# A lane idle this long is let go: the chat's next update goes to whichever worker gets it.
LANE_IDLE_SECONDS = 5.0
PENDING = "pending"


def new_worker_id() -> str:
    """Host, pid and a random suffix: unique across restarts and machines, readable in logs."""
    host = socket.gethostname()[:32]
    return f"{host}:{os.getpid()}:{secrets.token_hex(4)}"


def _live(owner: Any, now: datetime) -> ColumnElement[bool]:
    # IN over the live workers' ids, not a correlated EXISTS: inside an INSERT's ON CONFLICT
    # ... WHERE, SQLAlchemy does not correlate, and the EXISTS would ask whether any row at
    # all has a live owner (the processes drill found lanes never taken over).
    live: ColumnElement[bool] = owner.in_(select(Worker.id).where(Worker.expires_at > now))
    return live


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a scan took: entries, and lanes newly taken with their tokens (to `hold()` once
    committed)."""

    entries: list[Entry]
    taken: dict[str, str]
    left: bool = False  # chats left waiting (no room for them here): look again soon


class Claims:
    """This worker's lease and lanes in the store (PostgreSQL only)."""

    def __init__(self, clock: Callable[[], datetime], worker_id: str | None = None) -> None:
        self.clock = clock
        self.worker_id = worker_id or new_worker_id()
        # platform -> chat_key -> token of the claim this worker holds.
        self.held: dict[str, dict[str, str]] = {}
        # Live workers at the last renewal (this one included): alone, a busy worker keeps
        # what it receives, since nobody else would take it.
        self.workers = 1

    # The worker's lease -------------------------------------------------------------------

    def register(self, session: Session, role: str) -> None:
        now = self.clock()
        session.merge(
            Worker(id=self.worker_id, role=role[:160], started_at=now, expires_at=now + LEASE)
        )
        session.flush()
        self.count_workers(session)

    def renew(self, session: Session, role: str) -> bool:
        """Extend the lease; False when it had lapsed (others may have taken its lanes)."""
        now = self.clock()
        renewed = session.execute(
            update(Worker)
            .where(Worker.id == self.worker_id, Worker.expires_at > now)
            .values(expires_at=now + LEASE, role=role[:160])
            .returning(Worker.id)
        ).first()
        self.count_workers(session)
        return renewed is not None

    def count_workers(self, session: Session) -> None:
        """Count the live workers (`workers`), this one included."""
        live = select(func.count()).select_from(Worker).where(Worker.expires_at > self.clock())
        self.workers = max(1, int(session.scalar(live) or 0))

    def leave(self, session: Session) -> None:
        """Hand back every lane and unfinished entry, and end the lease (a clean stop)."""
        session.execute(
            update(InboxEntry)
            .where(InboxEntry.owner == self.worker_id, InboxEntry.state == PENDING)
            .values(owner=None)
        )
        session.execute(delete(InboxLane).where(InboxLane.owner == self.worker_id))
        session.execute(delete(Worker).where(Worker.id == self.worker_id))
        self.held.clear()

    def forget_all(self) -> None:
        """Drop what this worker believes it holds (its lease lapsed: it starts over)."""
        self.held.clear()

    # Lanes ---------------------------------------------------------------------------------

    def take_lanes(
        self, session: Session, platform: str, chat_keys: Iterable[str]
    ) -> tuple[set[str], dict[str, str]]:
        """Claim the lanes of `chat_keys` that are free, this worker's, or a dead worker's.

        Returns the chat keys this worker holds among them, and the newly taken ones with
        their tokens: `hold()` those once the transaction has committed (a unit may run again
        after a rollback, and must then claim again)."""
        keys = set(chat_keys)
        held = self.held.get(platform, {})
        wanted = sorted(key for key in keys if key not in held)
        taken: dict[str, str] = {}
        if wanted:
            now = self.clock()
            rows = [
                {
                    "platform": platform,
                    "chat_key": key,
                    "owner": self.worker_id,
                    "token": secrets.token_hex(8),
                }
                for key in wanted
            ]
            # Claims exist on PostgreSQL alone: imported at the top, the dialect (and all its
            # drivers) would load on SQLite too.
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            insert = postgresql_insert(InboxLane)
            lane_owner = InboxLane.__table__.c.owner
            statement = insert.on_conflict_do_update(
                index_elements=["platform", "chat_key"],
                set_={"owner": insert.excluded.owner, "token": insert.excluded.token},
                # Taken over only from this worker or one whose lease ran out. A conflicting
                # row is locked either way, so two claimers of one lane queue up here.
                where=or_(lane_owner == self.worker_id, ~_live(lane_owner, now)),
            ).returning(InboxLane.chat_key, InboxLane.token)
            taken = {chat: token for chat, token in session.execute(statement, rows)}
        return {key for key in keys if key in held or key in taken}, taken

    def hold(self, platform: str, taken: dict[str, str]) -> None:
        """Remember lanes a committed transaction took."""
        self.held.setdefault(platform, {}).update(taken)

    def holds(self, platform: str) -> list[str]:
        return list(self.held.get(platform, {}))

    def release_locally(self, platform: str, chat_keys: Iterable[str]) -> list[str]:
        """Stop holding `chat_keys` in memory; return the tokens to delete with `let_go`."""
        held = self.held.get(platform, {})
        return [token for key in chat_keys if (token := held.pop(key, None)) is not None]

    def let_go(self, session: Session, platform: str, tokens: Sequence[str]) -> None:
        """Delete this worker's lane claims with `tokens`; a lane claimed again meanwhile (with
        a new token) is kept."""
        if tokens:
            session.execute(
                delete(InboxLane).where(
                    InboxLane.platform == platform,
                    InboxLane.owner == self.worker_id,
                    InboxLane.token.in_(list(tokens)),
                )
            )

    # Entries -------------------------------------------------------------------------------

    def scan(
        self,
        session: Session,
        platform: str,
        limit: int = SCAN_LIMIT,
        new_chats: int | None = None,
    ) -> Claimed:
        """Take the pending entries that no live worker owns, in chats free, dead or this
        worker's (at most `new_chats` chats it did not hold), oldest chats first.

        Locks go lane first, then its entries, as on receipt: a chat's entries are touched
        only by whoever holds its lane row, so a chat is taken whole and in order (with SKIP
        LOCKED on entries, one locked by a scanner about to lose the lane would be skipped
        and handled after later ones)."""
        now = self.clock()
        other_live_lane = (
            select(InboxLane.chat_key)
            .where(
                InboxLane.platform == platform,
                InboxLane.chat_key == InboxEntry.chat_key,
                InboxLane.owner != self.worker_id,
                _live(InboxLane.owner, now),
            )
            .exists()
        )
        first_id = func.min(InboxEntry.id)
        candidates = session.execute(
            select(InboxEntry.chat_key, first_id)
            .where(
                InboxEntry.platform == platform,
                InboxEntry.state == PENDING,
                or_(
                    InboxEntry.owner.is_(None),
                    and_(InboxEntry.owner != self.worker_id, ~_live(InboxEntry.owner, now)),
                ),
                ~other_live_lane,
            )
            .group_by(InboxEntry.chat_key)
            .order_by(first_id)
            .limit(limit)
        ).all()
        if not candidates:
            return Claimed([], {})
        chats = [chat for chat, _ in candidates]
        found = len(chats)
        if new_chats is not None:
            # Chats held here, and the first `new_chats` others (the rest: workers with room).
            held_here = self.held.get(platform, {})
            fresh = [chat for chat in chats if chat not in held_here][:new_chats]
            chats = [chat for chat in chats if chat in held_here] + fresh
        mine, taken = self.take_lanes(session, platform, chats)
        entries = self.take_stored(session, {(platform, chat) for chat in mine})
        left = found > len(mine) or found == limit
        return Claimed(sorted(entries, key=lambda entry: entry.id), taken, left)

    def take_stored(self, session: Session, lanes: set[tuple[str, str]]) -> list[Entry]:
        """Take the pending entries of `lanes` (platform, chat key) that no live worker owns:
        stored for this worker by other receivers, or left by a dead worker."""
        now = self.clock()
        taken: list[Entry] = []
        for platform in {p for p, _ in lanes}:
            chats = [chat for p, chat in lanes if p == platform]
            rows = session.execute(
                update(InboxEntry)
                .where(
                    InboxEntry.platform == platform,
                    InboxEntry.state == PENDING,
                    InboxEntry.chat_key.in_(chats),
                    or_(
                        InboxEntry.owner.is_(None),
                        and_(InboxEntry.owner != self.worker_id, ~_live(InboxEntry.owner, now)),
                    ),
                )
                .values(owner=self.worker_id)
                .returning(InboxEntry.id, InboxEntry.key, InboxEntry.chat_key, InboxEntry.payload)
            )
            taken += [Entry(i, key, platform, chat, payload) for i, key, chat, payload in rows]
        return taken

    def purge(self, session: Session, now: datetime) -> int:
        """Delete lanes of workers no longer alive, and workers dead for over an hour."""
        gone = session.execute(delete(InboxLane).where(~_live(InboxLane.owner, now)))
        session.execute(delete(Worker).where(Worker.expires_at < now - timedelta(hours=1)))
        return int(gone.rowcount or 0)  # type: ignore[attr-defined]
