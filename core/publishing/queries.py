"""Publications and their cards in the store: what was asked, where each card is, what count
it shows. Functions take a sync Session (run inside `Database.read`/`write`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core.comments.views import Status
from core.store.tables import Announcement, Comment, Publication
from core.store.upsert import insert_for


@dataclass(frozen=True, slots=True)
class PublicationView:
    id: int
    slug: str
    round: int
    requested_at: datetime
    requested_by_key: str | None


@dataclass(frozen=True, slots=True)
class CardView:
    """One publication's card on one target, posted or not (yet)."""

    id: int
    publication_id: int
    slug: str
    platform: str
    target: str
    chat_id: str | None
    message_id: str | None
    attempted_at: datetime | None
    posted_at: datetime | None
    failure: str | None
    shows_count: int | None
    edited_at: datetime | None

    @property
    def live(self) -> bool:
        """Posted and not known to be gone: a card whose count is kept up to date."""
        return self.message_id is not None


def _publication(row: Publication) -> PublicationView:
    return PublicationView(
        row.id, row.article_slug, row.round, row.requested_at, row.requested_by_key
    )


def _card(row: Announcement) -> CardView:
    return CardView(
        row.id, row.publication_id, row.article_slug, row.platform, row.target, row.chat_id,
        row.message_id, row.attempted_at, row.posted_at, row.failure, row.shows_count,
        row.edited_at,
    )  # fmt: skip


def latest(session: Session, slug: str) -> PublicationView | None:
    """The article's last publication round, if it was ever published."""
    row = session.scalars(
        select(Publication)
        .where(Publication.article_slug == slug)
        .order_by(Publication.round.desc())
        .limit(1)
    ).first()
    return None if row is None else _publication(row)


def request(session: Session, slug: str, at: datetime, by_key: str | None) -> PublicationView:
    """A new publication round of the article."""
    last = session.scalar(
        select(func.max(Publication.round)).where(Publication.article_slug == slug)
    )
    row = Publication(
        article_slug=slug, round=(last or 0) + 1, requested_at=at, requested_by_key=by_key
    )
    session.add(row)
    session.flush()
    return _publication(row)


def request_first(session: Session, slug: str, at: datetime) -> PublicationView | None:
    """Round 1 of an article that publishes itself on load; None when it already has one
    (in this process or another)."""
    statement = (
        insert_for(session, Publication)
        .values(article_slug=slug, round=1, requested_at=at, requested_by_key=None)
        .on_conflict_do_nothing(index_elements=["article_slug", "round"])
        .returning(Publication.id)
    )
    new_id = session.execute(statement).scalar()
    return None if new_id is None else PublicationView(new_id, slug, 1, at, None)


def publication(session: Session, publication_id: int) -> PublicationView | None:
    row = session.get(Publication, publication_id)
    return None if row is None else _publication(row)


def requested_since(session: Session, since: datetime) -> list[PublicationView]:
    """Rounds asked for since `since`, oldest first: what a catch-up looks at."""
    rows = session.scalars(
        select(Publication).where(Publication.requested_at >= since).order_by(Publication.id)
    )
    return [_publication(row) for row in rows]


def cards_of(session: Session, publication_id: int) -> list[CardView]:
    rows = session.scalars(
        select(Announcement)
        .where(Announcement.publication_id == publication_id)
        .order_by(Announcement.id)
    )
    return [_card(row) for row in rows]


def card_for(
    session: Session, publication: PublicationView, platform: str, target: str
) -> CardView:
    """The round's card on the target, made (not yet posted) when there is none."""
    session.execute(
        insert_for(session, Announcement)
        .values(
            publication_id=publication.id,
            article_slug=publication.slug,
            platform=platform,
            target=target,
        )
        .on_conflict_do_nothing(index_elements=["publication_id", "platform", "target"])
    )
    row = session.scalars(
        select(Announcement).where(
            Announcement.publication_id == publication.id,
            Announcement.platform == platform,
            Announcement.target == target,
        )
    ).one()
    return _card(row)


def record_posted(
    session: Session, card_id: int, chat_id: str, message_id: str, count: int, at: datetime
) -> None:
    session.execute(
        update(Announcement)
        .where(Announcement.id == card_id)
        .values(
            chat_id=chat_id,
            message_id=message_id,
            posted_at=at,
            failure=None,
            shows_count=count,
            edited_at=at,
        )
    )


def record_attempt(session: Session, card_id: int, at: datetime | None) -> None:
    session.execute(update(Announcement).where(Announcement.id == card_id).values(attempted_at=at))


def record_failure(session: Session, card_id: int, detail: str) -> None:
    session.execute(
        update(Announcement).where(Announcement.id == card_id).values(failure=detail[:500])
    )


def forget_failures(session: Session, publication_id: int) -> int:
    """Let the round's failed targets (refused, or perhaps posted by a process that died) be
    tried again; how many there were."""
    result = session.execute(
        delete(Announcement).where(
            Announcement.publication_id == publication_id,
            Announcement.posted_at.is_(None),
            Announcement.failure.is_not(None),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_cards(session: Session, platform: str, slug: str | None = None) -> list[CardView]:
    """Posted cards on the platform still there (of one article, or all)."""
    statement = select(Announcement).where(
        Announcement.platform == platform, Announcement.message_id.is_not(None)
    )
    if slug is not None:
        statement = statement.where(Announcement.article_slug == slug)
    return [_card(row) for row in session.scalars(statement.order_by(Announcement.id))]


def card(session: Session, card_id: int) -> CardView | None:
    row = session.get(Announcement, card_id)
    return None if row is None else _card(row)


def record_count(session: Session, card_id: int, count: int, at: datetime) -> None:
    session.execute(
        update(Announcement)
        .where(Announcement.id == card_id)
        .values(shows_count=count, edited_at=at)
    )


def record_gone(session: Session, card_id: int, detail: str) -> None:
    """The platform says the card is gone (an admin deleted it): no more edits."""
    session.execute(
        update(Announcement)
        .where(Announcement.id == card_id)
        .values(message_id=None, failure=f"deleted: {detail}"[:500])
    )


def approved_counts(session: Session, slugs: list[str]) -> dict[str, int]:
    """How many approved comments each article has (articles with none are 0)."""
    rows = session.execute(
        select(Comment.article_slug, func.count())
        .where(Comment.article_slug.in_(slugs), Comment.status == Status.APPROVED)
        .group_by(Comment.article_slug)
    )
    counts = dict.fromkeys(slugs, 0)
    counts.update({slug: int(n) for slug, n in rows})
    return counts
