"""Session-level reads and writes of comments, bans and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.actors import Actor
from core.comments.views import CommentView, Delivery, Status
from core.store.tables import AuditEntry, Ban, Comment


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


async def audit(
    session: AsyncSession,
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
    session.add(
        AuditEntry(
            at=at,
            action=action,
            comment_id=comment_id,
            subject_key=subject_key,
            actor_key=actor.key,
            actor_name=actor.display_name,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
        )
    )


async def active_ban(session: AsyncSession, author_key: str, now: datetime) -> Ban | None:
    ban = await session.get(Ban, author_key)
    if ban is None or (ban.until is not None and ban.until <= now):
        return None
    return ban


async def last_comment_at(session: AsyncSession, actor: Actor) -> datetime | None:
    return await session.scalar(
        select(func.max(Comment.created_at)).where(*_by_author(actor.platform, actor.user_id))
    )


async def has_same_text(
    session: AsyncSession, actor: Actor, article_slug: str, text_digest: str
) -> bool:
    found = await session.scalar(
        select(Comment.id)
        .where(
            *_by_author(actor.platform, actor.user_id),
            Comment.article_slug == article_slug,
            Comment.text_digest == text_digest,
            Comment.status != Status.WITHDRAWN,
        )
        .limit(1)
    )
    return found is not None


async def get(session: AsyncSession, comment_id: int) -> Comment | None:
    return await session.get(Comment, comment_id)


async def decide(
    session: AsyncSession,
    comment_id: int,
    *,
    to_status: Status,
    moderator: Actor,
    reason: str | None,
    at: datetime,
    notify: bool,
) -> bool:
    """Compare-and-set on `pending`: of concurrent deciders exactly one gets True."""
    result = await session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status == Status.PENDING)
        .values(
            status=to_status,
            decided_at=at,
            decided_by_key=moderator.key,
            decided_by_name=moderator.display_name,
            decision_reason=reason,
            delivery=Delivery.WAITING if notify else Delivery.NOT_NEEDED,
        )
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result) == 1


async def withdraw(session: AsyncSession, comment_id: int, author: Actor, at: datetime) -> bool:
    result = await session.execute(
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


async def approved_page(
    session: AsyncSession, article_slug: str, *, offset: int, limit: int
) -> tuple[list[CommentView], int]:
    where = and_(Comment.article_slug == article_slug, Comment.status == Status.APPROVED)
    total = await session.scalar(select(func.count()).select_from(Comment).where(where)) or 0
    rows = await session.scalars(
        select(Comment).where(where).order_by(Comment.id.desc()).offset(offset).limit(limit)
    )
    return [to_view(r) for r in rows], total


async def by_author(session: AsyncSession, actor: Actor, limit: int) -> list[CommentView]:
    rows = await session.scalars(
        select(Comment)
        .where(*_by_author(actor.platform, actor.user_id))
        .order_by(Comment.id.desc())
        .limit(limit)
    )
    return [to_view(r) for r in rows]


async def pending(session: AsyncSession, *, limit: int, after_id: int = 0) -> list[CommentView]:
    rows = await session.scalars(
        select(Comment)
        .where(Comment.status == Status.PENDING, Comment.id > after_id)
        .order_by(Comment.id)
        .limit(limit)
    )
    return [to_view(r) for r in rows]


async def count_pending(session: AsyncSession) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(Comment).where(Comment.status == Status.PENDING)
        )
        or 0
    )


async def erase_author(session: AsyncSession, actor: Actor) -> int:
    result = await session.execute(
        delete(Comment)
        .where(*_by_author(actor.platform, actor.user_id))
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result)


async def all_comments(session: AsyncSession) -> list[CommentView]:
    rows = await session.scalars(select(Comment).order_by(Comment.id))
    return [to_view(r) for r in rows]


async def author_of(session: AsyncSession, comment_id: int) -> str | None:
    row = await session.get(Comment, comment_id)
    return f"{row.author_platform}:{row.author_user_id}" if row else None
