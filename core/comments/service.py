"""Comment intake and moderation: the rules, compare-and-set decisions, bans, the audit trail.

Mutating methods take the caller's write session so that the effect and the event key that
guards it commit together (see core.idempotency).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core import caps
from core.actors import Actor
from core.comments import queries
from core.comments.cards import DECISIONS, published
from core.comments.erasure import Erasure, erase_person
from core.comments.rules import clean_name, digest, evaluate, length_problem
from core.comments.views import CommentView, Delivery, Status
from core.config import CommentRules
from core.errors import NotFound, UserError
from core.fingerprint import fingerprint, is_fingerprint
from core.store.tables import Ban, Comment, CommentDraft, ProcessedEvent
from core.text import clean_text, fit

_INSERT_COMMENT = insert(Comment).returning(Comment.id)
DUPLICATE_MESSAGE = "Duplicate comment detected; it looks as though you’ve already said that!"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Decision:
    """The result of a moderator's press: whether it won, and the comment as it now stands."""

    won: bool
    comment: CommentView
    # The status the moderator saw (and, when it won, changed).
    seen: Status = Status.PENDING
    # It won and changed what the author was last told (published or not).
    tells_author: bool = False


@dataclass(frozen=True, slots=True)
class DraftText:
    article_slug: str
    text: str
    author_name: str


@dataclass(frozen=True, slots=True)
class BanRecord:
    author_key: str
    until: datetime | None
    reason: str | None


class CommentService:
    def __init__(
        self,
        rules: CommentRules,
        clock: Callable[[], datetime] = utc_now,
        platforms: Collection[str] = (),
    ) -> None:
        self.rules = rules
        self.clock = clock
        # The platforms whose people can be named as `platform:user_id` (e.g. in /ban).
        self.platforms = platforms

    def prepare(self, text: str) -> str:
        """Clean a comment's text or refuse it with a message the author can act on."""
        cleaned = clean_text(text)
        problem = length_problem(cleaned, self.rules)
        if problem:
            raise UserError(problem)
        return cleaned

    def _serialise_author(self, session: Session, author: Actor) -> None:
        # PostgreSQL: one submission per author at a time, so flood and duplicate checks hold
        # under concurrency. SQLite already serialises writers (BEGIN IMMEDIATE).
        if session.get_bind().dialect.name == "postgresql":
            lock_id = int.from_bytes(hashlib.blake2b(author.key.encode(), digest_size=8).digest())
            session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id - (1 << 63)})

    def ensure_may_comment(
        self, session: Session, author: Actor, *, exempt_from_flood: bool
    ) -> None:
        """Refuse a banned author, or one commenting faster than the flood interval."""
        self._check(
            queries.standing(session, author, "", "", self.clock()),
            exempt_from_flood=exempt_from_flood,
        )

    def _check(self, standing: queries.Standing, *, exempt_from_flood: bool) -> None:
        if standing.banned:
            until = standing.banned_until
            span = f" until {until:%Y-%m-%d %H:%M} UTC" if until else ""
            raise UserError(f"A moderator has stopped you from commenting{span}.")
        if exempt_from_flood or not self.rules.flood_seconds or standing.last_comment_at is None:
            return
        wait = self.rules.flood_seconds - (self.clock() - standing.last_comment_at).total_seconds()
        if wait > 0:
            raise UserError(
                f"You are commenting too quickly. Please wait {math.ceil(wait)} s and try again."
            )

    def submit(
        self,
        session: Session,
        author: Actor,
        *,
        article_slug: str,
        text: str,
        display_name: str | None,
        exempt_from_flood: bool,
    ) -> CommentView:
        cleaned = self.prepare(text)
        name = clean_name(display_name or author.display_name, self.rules)
        text_digest = digest(cleaned)
        now = self.clock()
        self._serialise_author(session, author)
        standing = queries.standing(session, author, article_slug, text_digest, now)
        self._check(standing, exempt_from_flood=exempt_from_flood)
        if standing.said_before:
            raise UserError(DUPLICATE_MESSAGE)
        verdict = evaluate(cleaned, name, self.rules)
        view = CommentView(
            id=0,
            article_slug=article_slug,
            author_platform=author.platform,
            author_user_id=author.user_id,
            author_name=name,
            text=cleaned,
            status=verdict.status,
            hold_reasons=verdict.reasons,
            created_at=now,
        )
        try:
            comment_id = session.connection().scalar(
                _INSERT_COMMENT,
                {
                    "article_slug": article_slug,
                    "author_platform": author.platform,
                    "author_user_id": author.user_id,
                    "author_name": name,
                    "text": cleaned,
                    "text_digest": text_digest,
                    "status": verdict.status,
                    "hold_reasons": "\n".join(verdict.reasons),
                    "created_at": now,
                    "delivery": Delivery.NOT_NEEDED,
                },
            )
        except IntegrityError as exc:  # a concurrent twin won the unique index
            raise UserError(DUPLICATE_MESSAGE) from exc
        assert comment_id is not None
        queries.audit(
            session,
            at=now,
            action="submitted",
            actor=author,
            comment_id=comment_id,
            to_status=verdict.status,
            reason="; ".join(verdict.reasons) or None,
        )
        return replace(view, id=comment_id)

    def save_draft(
        self, session: Session, author: Actor, *, chat_id: str, article_slug: str, text: str
    ) -> int:
        """Store a preview in place of the author's open one in this chat (with a new id, so
        the old preview's Send button finds it gone); keep at most OPEN_PREVIEWS in all."""
        cleaned = self.prepare(text)
        self._serialise_author(session, author)
        self.ensure_may_comment(session, author, exempt_from_flood=True)
        mine = _drafts_of(author)
        session.execute(
            delete(CommentDraft)
            .where(*mine, CommentDraft.chat_id == chat_id)
            .execution_options(synchronize_session=False)
        )
        draft = CommentDraft(
            author_platform=author.platform,
            author_user_id=author.user_id,
            chat_id=chat_id,
            author_name=clean_name(author.display_name, self.rules),
            article_slug=article_slug,
            text=cleaned,
            created_at=self.clock(),
        )
        session.add(draft)
        session.flush()
        older = select(CommentDraft.id).where(*mine).order_by(CommentDraft.id.desc())
        session.execute(
            delete(CommentDraft)
            .where(CommentDraft.id.in_(older.offset(OPEN_PREVIEWS).scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        return draft.id

    def take_draft(self, session: Session, author: Actor, draft_id: int) -> DraftText:
        """Remove and return the author's own draft; a double press finds it gone."""
        mine = _drafts_of(author)
        row = (
            session.execute(
                delete(CommentDraft)
                .where(CommentDraft.id == draft_id, *mine)
                .returning(CommentDraft.article_slug, CommentDraft.text, CommentDraft.author_name)
            )
        ).one_or_none()
        if row is None:
            raise NotFound(
                "That comment preview has expired, was replaced by a newer one or was already "
                "sent."
            )
        return DraftText(article_slug=row[0], text=row[1], author_name=row[2])

    def decide(
        self,
        session: Session,
        moderator: Actor,
        comment_id: int,
        to_status: Status,
        reason: str | None = None,
        *,
        seen: Status = Status.PENDING,
    ) -> Decision:
        """Move the comment from `seen` (the status the moderator saw) to `to_status`, any
        decided status to any other; a withdrawn comment stays withdrawn."""
        if to_status not in DECISIONS or seen not in (Status.PENDING, *DECISIONS):
            raise UserError("That is not a decision a moderator can make.")
        now = self.clock()
        reason = (fit(clean_text(reason), 500) or None) if reason else None
        # The author hears of the first decision, then of each that publishes or unpublishes
        # it (rejected and spam are the same to them: not published).
        tells_author = seen is Status.PENDING or published(seen) != published(to_status)
        won = seen is not to_status and queries.decide(
            session,
            comment_id,
            seen=seen,
            to_status=to_status,
            moderator=moderator,
            reason=reason,
            at=now,
            notify=tells_author,
        )
        row = session.get(Comment, comment_id, populate_existing=True)
        if row is None:
            raise NotFound(f"There is no comment #{comment_id}.")
        if won:
            queries.audit(
                session,
                at=now,
                action="decided",
                actor=moderator,
                comment_id=comment_id,
                from_status=seen,
                to_status=to_status,
                reason=reason,
            )
        view = queries.to_view(row)
        return Decision(won, view, seen, tells_author=won and tells_author)

    def withdraw(self, session: Session, author: Actor, comment_id: int) -> CommentView:
        now = self.clock()
        if not queries.withdraw(session, comment_id, author, now):
            row = session.get(Comment, comment_id)
            if (
                row is None
                or row.author_platform != author.platform
                or (row.author_user_id != author.user_id)
            ):
                raise NotFound(f"You have no comment #{comment_id}.")
            raise UserError(
                f"Comment #{comment_id} is already {row.status}: only pending comments "
                "can be withdrawn."
            )
        queries.audit(
            session,
            at=now,
            action="withdrawn",
            actor=author,
            comment_id=comment_id,
            from_status=Status.PENDING,
            to_status=Status.WITHDRAWN,
        )
        row = session.get(Comment, comment_id, populate_existing=True)
        assert row is not None
        return queries.to_view(row)

    def erase(self, session: Session, author: Actor) -> Erasure:
        """Erase everything stored about the author (see core.comments.erasure)."""
        return erase_person(session, author, self.clock())

    def ban(
        self,
        session: Session,
        moderator: Actor,
        author_key: str,
        *,
        until: datetime | None,
        reason: str | None,
    ) -> BanRecord:
        check_author_key(author_key, self.platforms)
        now = self.clock()
        if until is not None:
            check_ban_end(until, now)
        ban = session.get(Ban, author_key)
        if ban is None:
            ban = Ban(author_key=author_key, created_at=now, banned_by_name=moderator.display_name)
            session.add(ban)
        ban.until, ban.reason, ban.banned_by_name = until, reason, moderator.display_name
        queries.audit(
            session,
            at=now,
            action="banned",
            actor=moderator,
            subject_key=author_key,
            reason=(reason or "") + (f" (until {until.isoformat()})" if until else ""),
        )
        return BanRecord(author_key, until, reason)

    def unban(self, session: Session, moderator: Actor, author_key: str) -> bool:
        if not is_fingerprint(author_key):  # as listed by /export once its author was erased
            check_author_key(author_key, self.platforms)
        # A ban outlives its author's erasure as their fingerprint: lifting it lifts both.
        bans = [session.get(Ban, key) for key in {author_key, fingerprint(author_key)}]
        if not any(bans):
            return False
        for ban in bans:
            if ban is not None:
                session.delete(ban)
        queries.audit(
            session, at=self.clock(), action="unbanned", actor=moderator, subject_key=author_key
        )
        return True

    def record_delivery(
        self,
        session: Session,
        comment_id: int,
        delivered: bool,
        detail: str,
        told: Status | None = None,
    ) -> None:
        """Record whether the author was told of the decision `told` (see
        queries.record_delivery)."""
        delivery = Delivery.DELIVERED if delivered else Delivery.FAILED
        queries.record_delivery(session, comment_id, delivery, detail[:500] or None, told)

    def bans(self, session: Session) -> list[BanRecord]:
        now = self.clock()
        rows = session.scalars(select(Ban).order_by(Ban.created_at))
        return [
            BanRecord(b.author_key, b.until, b.reason)
            for b in rows
            if b.until is None or b.until > now
        ]


def _drafts_of(author: Actor) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        CommentDraft.author_platform == author.platform,
        CommentDraft.author_user_id == author.user_id,
    )


# Previews one author may have open at once, across chats (one per chat).
OPEN_PREVIEWS = 3
# Platforms re-deliver for at most a day (Telegram keeps updates 24 h); a week is ample.
EVENT_KEYS_KEPT = timedelta(days=7)
DRAFTS_KEPT = timedelta(days=1)


# Platform user ids are short and plain (Telegram and Discord: digits; the console: a name).
_USER_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def check_author_key(author_key: str, platforms: Collection[str]) -> None:
    """Refuse what can't be a `platform:user_id` of one of these platforms."""
    platform, _, user_id = author_key.partition(":")
    if platform not in platforms or not _USER_ID.fullmatch(user_id):
        shown = fit(clean_text(author_key), 40)
        raise UserError(
            f"“{shown}” is not an author. Give a comment number (#12) or "
            "platform:user_id (e.g. telegram:12345)."
        )


def purge_expired(session: Session, now: datetime, batch: int = 500) -> int:
    """Forget up to `batch` event keys no platform can replay any more, as many previews never
    sent, the daily caps of days gone by, and erased comments whose cards all say so;
    return how many rows went (a full batch means there may be more)."""
    keys = select(ProcessedEvent.key).where(ProcessedEvent.created_at < now - EVENT_KEYS_KEPT)
    drafts = select(CommentDraft.id).where(CommentDraft.created_at < now - DRAFTS_KEPT)
    gone = caps.purge(session, now.date())
    for table, column, stale in (
        (ProcessedEvent, ProcessedEvent.key, keys),
        (CommentDraft, CommentDraft.id, drafts),
    ):
        result = session.execute(
            delete(table)
            .where(column.in_(stale.limit(batch).scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        gone = max(gone, int(result.rowcount or 0))  # type: ignore[attr-defined]
    return max(gone, queries.purge_tombstones(session, batch))


BAN_LENGTHS = "30m, 12h, 7d, 2w, a date like 2026-12-31 (UTC), or forever"
MAX_BAN_YEARS = 5
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_FOREVER = frozenset({"forever", "permanent", "permanently"})
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:t\d{2}:\d{2}(?::\d{2})?)?(?:z|[+-]\d{2}:\d{2})?")


def latest_ban_end(now: datetime) -> datetime:
    """The furthest a ban may reach: MAX_BAN_YEARS from now (`forever` is a separate choice)."""
    try:
        return now.replace(year=now.year + MAX_BAN_YEARS)
    except ValueError:  # 29 February
        return now.replace(year=now.year + MAX_BAN_YEARS, day=28)


def _too_long(now: datetime) -> UserError:
    return UserError(
        f"A ban can last at most {MAX_BAN_YEARS} years (until {latest_ban_end(now):%Y-%m-%d}); "
        "use forever for a ban with no end."
    )


def check_ban_end(until: datetime, now: datetime) -> None:
    """Refuse a ban end in the past or beyond the cap."""
    if until <= now:
        raise UserError("The end of a ban must be in the future.")
    if until > latest_ban_end(now):
        raise _too_long(now)


def parse_until(value: str, now: datetime) -> datetime | None:
    """When a ban ends: None for `forever`; `30m`, `12h`, `7d`, `2w` from now; or an ISO date or
    date-time (UTC unless it says otherwise). Anything else is refused, never guessed at: a
    length the bot cannot read must not become a permanent ban."""
    token = value.strip().lower()
    if token in _FOREVER:
        return None
    number, unit = token[:-1], token[-1:]
    if unit in _UNIT_SECONDS and number.isascii() and number.isdigit():
        # Compared as whole seconds first: a huge count would overflow a timedelta.
        seconds = int(number) * _UNIT_SECONDS[unit]
        if seconds > (latest_ban_end(now) - now).total_seconds():
            raise _too_long(now)
        until = now + timedelta(seconds=seconds)
    else:
        try:
            if not _DATE_TIME.fullmatch(token):
                raise ValueError(token)
            parsed = datetime.fromisoformat(token.upper())
        except ValueError as exc:
            raise UserError(
                f"“{value.strip()[:40]}” is not a ban length I understand: use {BAN_LENGTHS}."
            ) from exc
        until = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    check_ban_end(until, now)
    return until
