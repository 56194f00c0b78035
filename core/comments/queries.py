"""Session-level reads and writes of comments, bans and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import (
    String,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.actors import Actor
from core.comments.views import CommentView, Delivery, Status
from core.fingerprint import fingerprint
from core.store.tables import AuditEntry, Ban, Comment, ModerationPost


def rows_matched(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched (the compare-and-set verdict)."""
    return cast("CursorResult[Any]", result).rowcount


def to_view(row: Comment) -> CommentView:
    return CommentView(
        id=row.id,
        article_slug=row.article_slug,
        author_platform=row.author_platform,
        author_user_id=row.author_user_id,
        author_name=row.author_name,
        text=row.text,
        status=Status(row.status),
        hold_reasons=tuple(r for r in row.hold_reasons.split("\n") if r),
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by_name=row.decided_by_name,
        decision_reason=row.decision_reason,
        delivery=Delivery(row.delivery),
        delivery_detail=row.delivery_detail,
    )


def _by_author(platform: str, user_id: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return Comment.author_platform == platform, Comment.author_user_id == user_id


# Hot-path statements are built once with bind parameters: building and cache-keying a fresh
# statement with literal values cost more than executing it.
_INSERT_AUDIT = insert(AuditEntry)
# A ban names the author, or (once they asked to be forgotten) only their fingerprint.
_ACTIVE_BAN = and_(
    Ban.author_key.in_([bindparam("author_key"), bindparam("author_fingerprint")]),
    or_(Ban.until.is_(None), Ban.until > bindparam("now", type_=Ban.until.type)),
)
_MINE = and_(
    Comment.author_platform == bindparam("platform"),
    Comment.author_user_id == bindparam("user_id"),
)
_STANDING = select(
    exists().where(_ACTIVE_BAN),
    select(Ban.until).where(_ACTIVE_BAN).scalar_subquery(),
    select(func.max(Comment.created_at)).where(_MINE).scalar_subquery(),
    exists().where(
        _MINE,
        Comment.article_slug == bindparam("article_slug"),
        Comment.text_digest == bindparam("text_digest"),
        Comment.status != Status.WITHDRAWN,
    ),
)


def audit(
    session: Session,
    *,
    at: datetime,
    action: str,
    actor: Actor,
    comment_id: int | None = None,
    subject_key: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
) -> None:
    session.connection().execute(
        _INSERT_AUDIT,
        {
            "at": at,
            "action": action,
            "comment_id": comment_id,
            "subject_key": subject_key,
            "actor_key": actor.key,
            "actor_name": actor.display_name,
            "from_status": from_status,
            "to_status": to_status,
            "reason": reason,
        },
    )


@dataclass(frozen=True, slots=True)
class Standing:
    """What decides whether an author may post a text now, read in one query."""

    banned: bool
    banned_until: datetime | None
    last_comment_at: datetime | None
    said_before: bool


def standing(
    session: Session, author: Actor, article_slug: str, text_digest: str, now: datetime
) -> Standing:
    row = (
        session.connection()
        .execute(
            _STANDING,
            {
                "author_key": author.key,
                "author_fingerprint": fingerprint(author.key),
                "now": now,
                "platform": author.platform,
                "user_id": author.user_id,
                "article_slug": article_slug,
                "text_digest": text_digest,
            },
        )
        .one()
    )
    return Standing(bool(row[0]), row[1], row[2], bool(row[3]))


def decide(
    session: Session,
    comment_id: int,
    *,
    seen: Status,
    to_status: Status,
    moderator: Actor,
    reason: str | None,
    at: datetime,
    notify: bool,
) -> bool:
    """Compare-and-set on the status the moderator saw: of concurrent deciders who saw the
    same status exactly one gets True. With `notify` the author is owed the news (it waits in
    `delivery`); without, whatever they are owed stays as it is."""
    values: dict[str, object] = {
        "status": to_status,
        "decided_at": at,
        "decided_by_key": moderator.key,
        "decided_by_name": moderator.display_name,
        "decision_reason": reason,
    }
    if notify:
        values.update(delivery=Delivery.WAITING, delivery_detail=None)
    result = session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status == seen)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result) == 1


def record_delivery(
    session: Session, comment_id: int, delivery: Delivery, detail: str | None, told: Status | None
) -> None:
    """Record whether the author was told; when `told` names the status they were told of,
    only while the comment's outcome for them is still that one (a later decision that
    changed it is owed a notice of its own)."""
    where = [Comment.id == comment_id]
    if told is not None:
        shown = [Status.APPROVED] if told is Status.APPROVED else [Status.REJECTED, Status.SPAM]
        where.append(Comment.status.in_(shown))
    session.execute(
        update(Comment)
        .where(*where)
        .values(delivery=delivery, delivery_detail=detail)
        .execution_options(synchronize_session=False)
    )


def taken_down(session: Session, comment_ids: list[int]) -> set[int]:
    """Of `comment_ids`, those whose latest decision unpublished them (moved them from
    approved): their authors were told they were public."""
    if not comment_ids:
        return set()
    latest = (
        select(func.max(AuditEntry.id))
        .where(AuditEntry.comment_id.in_(comment_ids), AuditEntry.action == "decided")
        .group_by(AuditEntry.comment_id)
    )
    rows = session.scalars(
        select(AuditEntry.comment_id).where(
            AuditEntry.id.in_(latest), AuditEntry.from_status == Status.APPROVED
        )
    )
    return {comment_id for comment_id in rows if comment_id is not None}


def withdraw(session: Session, comment_id: int, author: Actor, at: datetime) -> bool:
    result = session.execute(
        update(Comment)
        .where(
            Comment.id == comment_id,
            Comment.status == Status.PENDING,
            *_by_author(author.platform, author.user_id),
        )
        .values(status=Status.WITHDRAWN, decided_at=at, decided_by_key=author.key)
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result) == 1


def approved_page(
    session: Session, article_slug: str, *, offset: int, limit: int
) -> tuple[list[CommentView], int]:
    where = and_(Comment.article_slug == article_slug, Comment.status == Status.APPROVED)
    total = session.scalar(select(func.count()).select_from(Comment).where(where)) or 0
    rows = session.scalars(
        select(Comment).where(where).order_by(Comment.id.desc()).offset(offset).limit(limit)
    )
    return [to_view(r) for r in rows], total


def by_author(session: Session, actor: Actor, limit: int) -> list[CommentView]:
    rows = session.scalars(
        select(Comment)
        .where(*_by_author(actor.platform, actor.user_id))
        .order_by(Comment.id.desc())
        .limit(limit)
    )
    return [to_view(r) for r in rows]


def pending(session: Session, *, limit: int, after_id: int = 0) -> list[CommentView]:
    rows = session.scalars(
        select(Comment)
        .where(Comment.status == Status.PENDING, Comment.id > after_id)
        .order_by(Comment.id)
        .limit(limit)
    )
    return [to_view(r) for r in rows]


def count_pending(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Comment).where(Comment.status == Status.PENDING)
        )
        or 0
    )


def comment_ids_of(session: Session, author: Actor) -> list[int]:
    mine = _by_author(author.platform, author.user_id)
    return list(session.scalars(select(Comment.id).where(*mine)))


def approved_articles_of(session: Session, author: Actor) -> list[str]:
    """The articles on which the author has approved comments."""
    mine = _by_author(author.platform, author.user_id)
    return list(
        session.scalars(
            select(Comment.article_slug).where(*mine, Comment.status == Status.APPROVED).distinct()
        )
    )


def erase_author(session: Session, actor: Actor, at: datetime) -> list[int]:
    """Turn the author's comments into tombstones that keep only the id and article, so
    every card of them can still be found and edited to say so; return their ids."""
    ids = comment_ids_of(session, actor)
    session.execute(
        update(Comment)
        .where(*_by_author(actor.platform, actor.user_id))
        .values(
            author_user_id="",
            author_name="",
            text="",
            # Unique per row, so tombstones never collide in the duplicate index.
            text_digest=literal("erased:", String) + sa.cast(Comment.id, String),
            status=Status.ERASED,
            hold_reasons="",
            decided_at=at,
            decision_reason=None,
            delivery=Delivery.NOT_NEEDED,
            delivery_detail=None,
        )
        .execution_options(synchronize_session=False)
    )
    return ids


def carded(session: Session, comment_ids: list[int]) -> list[CommentView]:
    """Those of the comments that have a moderation card somewhere."""
    with_cards = select(ModerationPost.comment_id).where(
        ModerationPost.comment_id.in_(comment_ids)
    )
    rows = session.scalars(select(Comment).where(Comment.id.in_(with_cards)).order_by(Comment.id))
    return [to_view(row) for row in rows]


def purge_tombstones(session: Session, limit: int) -> int:
    """Delete erased comments whose every card says so (or that have none); their posts go
    with them."""
    owed = select(ModerationPost.comment_id).where(
        or_(ModerationPost.shows.is_(None), ModerationPost.shows != Status.ERASED)
    )
    # The newest row stays: SQLite hands a deleted highest id out again, and a stale card's
    # button or a typed `/approve N` must never reach a newer comment.
    newest = select(func.max(Comment.id)).scalar_subquery()
    done = (
        select(Comment.id)
        .where(Comment.status == Status.ERASED, Comment.id.not_in(owed), Comment.id < newest)
        .limit(limit)
    )
    result = session.execute(
        delete(Comment)
        .where(Comment.id.in_(done.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result)


def all_comments(
    session: Session, *, after_id: int = 0, limit: int | None = None
) -> list[CommentView]:
    """Comments in id order; a page of them with `after_id` and `limit`."""
    rows = session.scalars(
        select(Comment)
        .where(Comment.id > after_id, Comment.status != Status.ERASED)
        .order_by(Comment.id)
        .limit(limit)
    )
    return [to_view(r) for r in rows]


def author_of(session: Session, comment_id: int) -> str | None:
    row = session.get(Comment, comment_id)
    if row is None or row.status == Status.ERASED:
        return None
    return f"{row.author_platform}:{row.author_user_id}"
