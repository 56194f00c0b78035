"""What a process that died owed the platforms, found in the store at start-up.

Events live in memory: a process killed between committing a comment (or a decision) and
delivering its event loses the event, not the fact. These queries find the facts whose
delivery never happened, so an adapter can deliver them when it starts:

- cards: pending comments with no moderation post on the platform;
- author notices: decided comments whose author was never told (`Delivery.WAITING`), decided
  before this process started (later ones are the live path's).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.comments.cards import author_notice, moderation_card
from core.comments.queries import taken_down, to_view
from core.comments.views import CommentView, Delivery, Status
from core.events import CommentDecided, CommentQueued
from core.store.tables import Comment as CommentRow
from core.store.tables import ModerationPost as ModerationPostRow

log = logging.getLogger(__name__)

E = TypeVar("E", CommentQueued, CommentDecided)
PAGE = 100
# Pages one start-up catch-up works through at most.
MAX_PAGES = 50
Titles = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """What one adapter's start-up catch-up delivered."""

    cards: int
    notices: int
    edits: int = 0  # cards edited to show a decision made elsewhere
    announced: int = 0  # article cards posted that a publication still owed


def unposted(session: Session, platform: str, limit: int = PAGE) -> list[CommentView]:
    """Pending comments without a card on `platform`, oldest first."""
    posted = select(ModerationPostRow.comment_id).where(ModerationPostRow.platform == platform)
    rows = session.scalars(
        select(CommentRow)
        .where(CommentRow.status == Status.PENDING, CommentRow.id.not_in(posted))
        .order_by(CommentRow.id)
        .limit(limit)
    )
    return [to_view(row) for row in rows]


def untold(
    session: Session, platform: str, decided_before: datetime, limit: int = PAGE
) -> list[CommentView]:
    """Decided comments of `platform`'s authors never told the outcome, oldest first."""
    rows = session.scalars(
        select(CommentRow)
        .where(
            CommentRow.author_platform == platform,
            CommentRow.delivery == Delivery.WAITING,
            CommentRow.decided_at < decided_before,
        )
        .order_by(CommentRow.decided_at, CommentRow.id)
        .limit(limit)
    )
    return [to_view(row) for row in rows]


def unedited(
    session: Session, platform: str, limit: int = PAGE, *, comment_id: int | None = None
) -> list[CommentView]:
    """Decided comments with a card on `platform` that does not show the decision yet (the
    decision was made in another process, or the edit was lost), oldest decision first."""
    stale = (
        select(ModerationPostRow.comment_id)
        .join(CommentRow, CommentRow.id == ModerationPostRow.comment_id)
        .where(
            ModerationPostRow.platform == platform,
            CommentRow.status != Status.PENDING,
            or_(ModerationPostRow.shows.is_(None), ModerationPostRow.shows != CommentRow.status),
        )
    )
    if comment_id is not None:
        stale = stale.where(ModerationPostRow.comment_id == comment_id)
    rows = session.scalars(
        select(CommentRow)
        .where(CommentRow.id.in_(stale))
        .order_by(CommentRow.decided_at, CommentRow.id)
        .limit(limit)
    )
    return [to_view(row) for row in rows]


def as_queued(views: Sequence[CommentView], title: Titles) -> list[CommentQueued]:
    return [CommentQueued(v, moderation_card(v, title(v.article_slug))) for v in views]


def as_decided(
    views: Sequence[CommentView], title: Titles, taken_down: Set[int] = frozenset()
) -> list[CommentDecided]:
    """Each decided comment's event; `taken_down` holds the ids whose latest decision
    unpublished them (queries.taken_down), whose authors are told so."""
    events = []
    for view in views:
        name = title(view.article_slug)
        notice = author_notice(view, name, taken_down=view.id in taken_down)
        events.append(CommentDecided(view, moderation_card(view, name), notice))
    return events


def decided_now(session: Session, comment_id: int) -> tuple[list[CommentView], set[int]]:
    """The comment as it stands if decided (for as_decided), with whether it was taken down."""
    row = session.get(CommentRow, comment_id, populate_existing=True)
    if row is None or row.status == Status.PENDING:
        return [], set()
    return [to_view(row)], taken_down(session, [comment_id])


async def deliver_missed(
    what: str,
    page: Callable[[], Awaitable[list[E]]],
    deliver: Callable[[E], Awaitable[bool]],
    claimed: Callable[[int], bool] = lambda _: False,
) -> int:
    """Hand `deliver` each event of successive pages until a page brings nothing new.

    `deliver` returns False when the platform is unwell: the rest waits for the next start.
    Skips comments `claimed` says the live path has taken. Never raises.
    """
    delivered = 0
    tried: set[int] = set()  # a delivery not recorded must not loop over the same page
    try:
        for _ in range(MAX_PAGES):
            events = await page()
            fresh = [e for e in events if not (e.comment.id in tried or claimed(e.comment.id))]
            if not fresh:
                break
            for event in fresh:
                tried.add(event.comment.id)
                if not await deliver(event):
                    return _report(what, delivered)
                delivered += 1
    except Exception:
        log.exception("could not deliver the %s missed while down", what)
    return _report(what, delivered)


def _report(what: str, delivered: int) -> int:
    if delivered:
        log.info("delivered %d %s missed while down", delivered, what)
    return delivered
