"""The schema. Every change here needs an Alembic migration (a test compares the two)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeDecorator

from core.text import clean_line, clean_text, fit

# Stable constraint names keep migrations identical on SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Id = BigInteger().with_variant(Integer(), "sqlite")


# Partial indexes and their WHERE, given to SQLAlchemy in the terms of the database in use by
# `use_dialect` (Database.connect calls it). Declared in each Index, `postgresql_where=` makes
# SQLAlchemy import the PostgreSQL dialect and every driver of it (~2 MB, ~80 ms) to check the
# argument, in a process that runs on SQLite (and `sqlite_where=` the SQLite one on PostgreSQL).
_PARTIAL_INDEXES: dict[Index, ClauseElement] = {}


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of the rows for which `where` holds, on SQLite and PostgreSQL alike."""
    index = Index(name, *columns, unique=unique)
    _PARTIAL_INDEXES[index] = sql_text(where)
    return index


def use_dialect(name: str) -> None:
    """Give the partial indexes their WHERE for dialect `name` (`sqlite`, `postgresql`), and
    the tables whose ids must never be reused SQLite's AUTOINCREMENT."""
    for index, where in _PARTIAL_INDEXES.items():
        index.dialect_kwargs[f"{name}_where"] = where
    if name == "sqlite":
        drafts = CommentDraft.__table__
        assert isinstance(drafts, Table)
        drafts.dialect_kwargs["sqlite_autoincrement"] = True


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamp(TypeDecorator[datetime]):
    """Always UTC-aware in Python; SQLite keeps naive UTC text, PostgreSQL `timestamptz`."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class HumanLine(TypeDecorator[str]):
    """A name people chose: cleaned to one line and cut to the column's length on the way in,
    so PostgreSQL never refuses it (NUL, too long) where SQLite would take it."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else fit(clean_line(value), self.length)


class HumanText(TypeDecorator[str]):
    """Text people wrote (comments, questions, reasons): cleaned on the way in."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else clean_text(value)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    article_slug: Mapped[str] = mapped_column(String(32))
    author_platform: Mapped[str] = mapped_column(String(16))
    author_user_id: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(HumanLine(128))
    text: Mapped[str] = mapped_column(HumanText())
    # Normalised-text digest: the same author saying the same thing twice is refused.
    text_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    hold_reasons: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    decided_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    decided_by_key: Mapped[str | None] = mapped_column(String(96), nullable=True)
    decided_by_name: Mapped[str | None] = mapped_column(HumanLine(128), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(HumanText(), nullable=True)
    delivery: Mapped[str] = mapped_column(String(16), default="not_needed")
    delivery_detail: Mapped[str | None] = mapped_column(HumanText(), nullable=True)

    __table_args__ = (
        Index("ix_comments_article_status_id", "article_slug", "status", "id"),
        Index("ix_comments_author", "author_platform", "author_user_id", "id"),
        Index("ix_comments_status_id", "status", "id"),
        partial_index(
            "uq_comments_author_digest",
            "author_platform",
            "author_user_id",
            "article_slug",
            "text_digest",
            unique=True,
            where="status != 'withdrawn'",
        ),
    )


class AuditEntry(Base):
    """Append-only trail of every moderation transition: who, what, when, why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Timestamp())
    action: Mapped[str] = mapped_column(String(32))
    comment_id: Mapped[int | None] = mapped_column(Id, nullable=True, index=True)
    subject_key: Mapped[str | None] = mapped_column(String(96), nullable=True)
    actor_key: Mapped[str] = mapped_column(String(96))
    actor_name: Mapped[str] = mapped_column(HumanLine(128))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason: Mapped[str | None] = mapped_column(HumanText(), nullable=True)


class Ban(Base):
    __tablename__ = "bans"

    author_key: Mapped[str] = mapped_column(String(96), primary_key=True)
    until: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    reason: Mapped[str | None] = mapped_column(HumanText(), nullable=True)
    banned_by_name: Mapped[str] = mapped_column(HumanLine(128))
    created_at: Mapped[datetime] = mapped_column(Timestamp())


class ProcessedEvent(Base):
    """Event keys already acted on, with the reply given, so a replay repeats nothing."""

    __tablename__ = "processed_events"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), index=True)
    reply_json: Mapped[str] = mapped_column(Text)
    # Whose event it was and which comment it concerned, so erasing an author also erases the
    # stored replies that quote them (their own, and moderators' cards of their comments).
    actor_key: Mapped[str | None] = mapped_column(String(96), nullable=True, index=True)
    comment_id: Mapped[int | None] = mapped_column(Id, nullable=True, index=True)
    # The author a moderator's reply names without a comment (a ban by platform:user_id).
    subject_key: Mapped[str | None] = mapped_column(String(96), nullable=True)
    # When the adapter confirmed the reply went out; a replay before that sends it again.
    delivered_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)

    # Few replies name a subject: a partial index finds them without growing every insert.
    __table_args__ = (
        partial_index(
            "ix_processed_events_subject_key", "subject_key", where="subject_key IS NOT NULL"
        ),
    )


class CommentDraft(Base):
    """A comment previewed but not yet confirmed (button payloads cannot carry the text).

    One open preview per author and chat: a new one replaces it, so previews cannot pile up.
    """

    __tablename__ = "comment_drafts"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    author_platform: Mapped[str] = mapped_column(String(16))
    author_user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(HumanLine(128))
    article_slug: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(HumanText())
    created_at: Mapped[datetime] = mapped_column(Timestamp())

    __table_args__ = (
        Index(
            "uq_comment_drafts_author_chat",
            "author_platform",
            "author_user_id",
            "chat_id",
            unique=True,
        ),
    )
    # Ids never come back on SQLite either (it reuses the highest id once deleted): the Send
    # button of a replaced or sent preview must never reach a newer one. Set by `use_dialect`
    # (as `sqlite_autoincrement` here it would load the SQLite dialect on PostgreSQL). SQLite
    # does not reflect it, so a batch migration that rebuilds this table must pass
    # table_kwargs={"sqlite_autoincrement": True}.


class ModerationPost(Base):
    """Where a comment's moderation card was posted, so every copy can be updated."""

    __tablename__ = "moderation_posts"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    comment_id: Mapped[int] = mapped_column(
        Id, ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    # The comment status the card shows once edited after a decision; None: as posted.
    shows: Mapped[str | None] = mapped_column(String(16), nullable=True)

    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)


class Publication(Base):
    """A moderator's `/publish` of an article (or its automatic publication): one round of
    cards to every announce target. `/publish <slug> again` is the next round."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    article_slug: Mapped[str] = mapped_column(String(32))
    round: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(Timestamp(), index=True)
    # Who asked, to tell them how it went; None when the article published itself on load.
    requested_by_key: Mapped[str | None] = mapped_column(String(96), nullable=True)

    __table_args__ = (UniqueConstraint("article_slug", "round"),)


class Announcement(Base):
    """One publication's card on one announce target: where it is and the comment count it
    shows, so the count can follow moderation and nothing is posted twice."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    publication_id: Mapped[int] = mapped_column(
        Id, ForeignKey("publications.id", ondelete="CASCADE")
    )
    article_slug: Mapped[str] = mapped_column(String(32), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    # The target as the settings name it ("@news", "-100…"); chat_id is where the card is.
    target: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Set before the card is sent: a card attempted but never recorded posted may be in the
    # channel already (the process died in between), so it is not sent again unasked.
    attempted_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    # The platform's reason the card could not be posted; cleared when it is tried again.
    failure: Mapped[str | None] = mapped_column(HumanText(), nullable=True)
    shows_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Last post or edit: count edits are paced from it, across processes and restarts.
    edited_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)

    __table_args__ = (UniqueConstraint("publication_id", "platform", "target"),)


class UnansweredQuestion(Base):
    """Questions the FAQ could not answer, counted, for editors."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    article_slug: Mapped[str] = mapped_column(String(32))
    normalized: Mapped[str] = mapped_column(String(500))
    example: Mapped[str] = mapped_column(HumanText())
    times_asked: Mapped[int] = mapped_column(Integer, default=1)
    last_asked_at: Mapped[datetime] = mapped_column(Timestamp())

    __table_args__ = (UniqueConstraint("article_slug", "normalized"),)


class DailyCap(Base):
    """How many of something (`what`) one person made the bot store on a day, keyed by a
    one-way fingerprint (core.fingerprint) so the count names no one; gone when the day is."""

    __tablename__ = "daily_caps"

    fingerprint: Mapped[str] = mapped_column(String(96), primary_key=True)
    what: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(Integer)


class BotState(Base):
    """Small key/value facts adapters must remember across restarts."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class InboxEntry(Base):
    """Every incoming platform event, committed before the platform is told it arrived.

    From then on the store, not the platform, owns it: a re-delivery is a hit on `key`, and an
    entry still `pending` after a crash is handled at the next start.
    """

    __tablename__ = "inbox"

    # Arrival order; within a chat, the order its events are handled in.
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(96))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(Timestamp())
    state: Mapped[str] = mapped_column(String(16))
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    # The worker process handling it (several processes on PostgreSQL); None: nobody yet.
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)

    # Only what is pending is indexed: an entry enters the index on arrival and leaves it when
    # handled, the least index writing per update that still finds the backlog at start-up.
    __table_args__ = (
        partial_index("ix_inbox_pending", "platform", "id", where="state = 'pending'"),
    )


class InboxLane(Base):
    """Which worker process handles a chat's inbox entries now (PostgreSQL, several processes).

    A chat is handled by one live worker at a time, in order. `token` changes with every claim,
    so a worker letting go of a lane never deletes a claim it has just taken again.
    """

    __tablename__ = "inbox_lanes"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_key: Mapped[str] = mapped_column(String(96), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    token: Mapped[str] = mapped_column(String(32))


class Worker(Base):
    """A running process and its lease: alive while `expires_at` is ahead (it renews it)."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(160))
    started_at: Mapped[datetime] = mapped_column(Timestamp())
    expires_at: Mapped[datetime] = mapped_column(Timestamp())


class Prompt(Base):
    """What the next text of a user in a chat answers (e.g. the comment a prompt asked for)."""

    __tablename__ = "prompts"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    command: Mapped[str] = mapped_column(String(160))
    expires_at: Mapped[datetime] = mapped_column(Timestamp(), index=True)
