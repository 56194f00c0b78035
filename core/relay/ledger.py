"""What the relay remembers in the store: where cards are and what they show, whether authors
were told, what is still owed to each platform, and who is delivering what right now."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.comments import catch_up, queries
from core.comments.service import CommentService
from core.comments.views import CommentView, Status
from core.events import CommentDecided, CommentQueued
from core.inbox import Inbox
from core.publishing import queries as publications
from core.publishing.queries import PublicationView
from core.relay.port import PostRef
from core.store.engine import Database
from core.store.tables import Comment as CommentRow
from core.store.tables import ModerationPost as ModerationPostRow

# Sharing the store, how long a fresh decision is left to the process that made it before
# another process's catch-up tells its author.
CATCH_UP_GRACE = timedelta(seconds=10)
Titles = Callable[[str], str]


class Ledger:
    def __init__(
        self,
        database: Database,
        inbox: Inbox,
        comments: CommentService,
        titles: Titles,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.inbox = inbox
        self.comments = comments
        self.titles = titles
        self.clock = clock
        self.started_at = clock()
        # Deliveries (kind, platform, comment id) under way in this process.
        self._delivering: set[tuple[str, str, int]] = set()

    # Claims --------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def delivering(self, kind: str, platform: str, item: int) -> AsyncIterator[bool]:
        """Claim the delivery of `kind` ("card", "edit", "notice"; "pub" of a publication
        round, "count" of an article card's count; "kind:platform" fits 16 characters) of
        `item` on `platform` while inside: yields False when another delivery of it is under
        way, in this process or (several processes on PostgreSQL) another live one, so the live
        path and every process's catch-up deliver it once. A claim whose process died lapses with
        its lease."""
        key = (kind, platform, item)
        if key in self._delivering:
            yield False
            return
        self._delivering.add(key)
        claims, lane, chat = self.inbox.claims, f"{kind}:{platform}", str(item)
        try:
            if claims is not None:
                mine, taken = await self.database.write(
                    lambda session: claims.take_lanes(session, lane, [chat])
                )
                claims.hold(lane, taken)
                if chat not in mine:
                    yield False
                    return
            try:
                yield True
            finally:
                if claims is not None:
                    with contextlib.suppress(Exception):
                        await self.inbox.let_go(lane, [chat])
        finally:
            self._delivering.discard(key)

    # Cards ---------------------------------------------------------------------------------

    async def record_post(self, comment_id: int, post: PostRef) -> bool:
        """Remember where a card was posted; False when the comment was decided or erased
        while it was being posted, so the card shows a stale state (see `cards_owed`)."""
        row = ModerationPostRow(
            comment_id=comment_id,
            platform=post.platform,
            chat_id=post.chat_id,
            message_id=post.message_id,
        )

        def record(session: Session) -> bool:
            session.add(row)
            status = session.scalar(select(CommentRow.status).where(CommentRow.id == comment_id))
            return status == Status.PENDING

        return await self.database.write(record)

    async def posts(self, comment_id: int, platform: str) -> list[PostRef]:
        """Where the comment's cards on `platform` are."""

        def find(session: Session) -> list[PostRef]:
            rows = session.scalars(
                select(ModerationPostRow).where(
                    ModerationPostRow.comment_id == comment_id,
                    ModerationPostRow.platform == platform,
                )
            )
            return [PostRef(r.platform, r.chat_id, r.message_id) for r in rows]

        return await self.database.read(find)

    async def cards_show(self, comment_id: int, platform: str, status: str) -> None:
        """Record that every card of the comment on `platform` shows `status`."""
        await self.database.write(
            lambda session: session.execute(
                update(ModerationPostRow)
                .where(
                    ModerationPostRow.comment_id == comment_id,
                    ModerationPostRow.platform == platform,
                )
                .values(shows=status)
            )
        )

    async def cards_owed(self, comment_id: int, platform: str) -> bool:
        """Whether a card of the decided comment on `platform` does not show the decision."""
        views = await self.database.read(
            lambda s: catch_up.unedited(s, platform, comment_id=comment_id)
        )
        return bool(views)

    # Publications --------------------------------------------------------------------------

    async def publication(self, publication_id: int) -> PublicationView | None:
        return await self.database.read(lambda s: publications.publication(s, publication_id))

    # Authors -------------------------------------------------------------------------------

    async def record_delivery(
        self, comment_id: int, delivered: bool, detail: str = "", told: Status | None = None
    ) -> None:
        """Remember whether the author was told the outcome (shown by /mycomments); `told`, the
        status they were told of, keeps a later decision that changed it owed."""
        await self.database.write(
            lambda session: self.comments.record_delivery(
                session, comment_id, delivered, detail, told
            )
        )

    # What is owed --------------------------------------------------------------------------

    async def unposted(self, platform: str) -> list[CommentQueued]:
        """Pending comments whose card never reached `platform`'s moderators (e.g. the process
        died after storing the comment), oldest first."""
        views = await self.database.read(lambda s: catch_up.unposted(s, platform))
        return catch_up.as_queued(views, self.titles)

    async def untold(self, platform: str) -> list[CommentDecided]:
        """Decisions whose author on `platform` was never told (the process died between the
        decision and the notice), oldest first."""
        # Alone, the decisions made since the start are the live path's. Sharing the store,
        # another process may have made them (its own platform's notices are its live path):
        # give that path a moment, then tell what is still untold.
        before = self.clock() - CATCH_UP_GRACE if self.inbox.shared else self.started_at

        def read(session: Session) -> tuple[list[CommentView], set[int]]:
            views = catch_up.untold(session, platform, decided_before=before)
            return views, queries.taken_down(session, [v.id for v in views])

        views, taken_down = await self.database.read(read)
        return catch_up.as_decided(views, self.titles, taken_down)

    async def unedited(self, platform: str) -> list[CommentDecided]:
        """Decided comments whose cards on `platform` do not show the decision yet."""
        views = await self.database.read(lambda s: catch_up.unedited(s, platform))
        return catch_up.as_decided(views, self.titles)

    async def decided_now(self, comment_id: int) -> CommentDecided | None:
        """The comment's decision as it stands now, or None while pending (or erased)."""
        views, taken_down = await self.database.read(
            lambda session: catch_up.decided_now(session, comment_id)
        )
        events = catch_up.as_decided(views, self.titles, taken_down)
        return events[0] if events else None
