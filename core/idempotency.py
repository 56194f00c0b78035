"""At-least-once delivery, exactly-once effects.

A state-changing call runs in one write transaction together with the insert of its event
key; a replay of the key finds the stored reply and repeats nothing. A refusal is stored too,
so a re-delivered update cannot succeed where the original was refused. Concurrent deliveries
of one key race on the key's primary key: the loser rolls back and returns the winner's reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import UserError
from core.events import Event
from core.replies import Reply
from core.replies.build import error
from core.replies.stored import reply_from_json, reply_to_json
from core.store.engine import Database
from core.store.tables import ProcessedEvent


@dataclass(slots=True)
class Effect:
    """What a unit of work produced: the reply, and events to publish once committed."""

    reply: Reply
    events: list[Event] = field(default_factory=list)
    replayed: bool = False
    # The comment this effect concerned, if any: erasing its author erases the stored reply.
    comment_id: int | None = None
    # The author the reply names when no comment does (e.g. `/ban telegram:1`), likewise.
    subject_key: str | None = None
    # Store the event key without who sent it (the erasure of that very person).
    anonymous: bool = False
    # For a replay: whether the first reply was confirmed delivered.
    delivered: bool = False


Work = Callable[[Session], Effect]


_STORED = select(ProcessedEvent.reply_json, ProcessedEvent.delivered_at).where(
    ProcessedEvent.key == bindparam("key")
)
_REMEMBER = insert(ProcessedEvent)


def _stored(session: Session, key: str) -> Effect | None:
    row = session.connection().execute(_STORED, {"key": key}).first()
    if row is None:
        return None
    reply = reply_from_json(row.reply_json)
    return Effect(reply, replayed=True, delivered=row.delivered_at is not None)


def _remember(session: Session, key: str, effect: Effect, at: datetime, actor_key: str) -> None:
    session.connection().execute(
        _REMEMBER,
        {
            "key": key,
            "created_at": at,
            "reply_json": reply_to_json(effect.reply),
            "actor_key": None if effect.anonymous else actor_key,
            "comment_id": effect.comment_id,
            "subject_key": effect.subject_key,
        },
    )


async def run_once(
    database: Database,
    key: str | None,
    work: Work,
    *,
    now: Callable[[], datetime],
    actor_key: str,
) -> Effect:
    """Run `work` in a write transaction, at most once per key."""

    def unit(session: Session) -> Effect:
        if key is not None and (stored := _stored(session, key)) is not None:
            return stored
        effect = work(session)
        if key is not None:
            _remember(session, key, effect, now(), actor_key)
        return effect

    def refusal(session: Session, effect: Effect) -> Effect:
        assert key is not None
        if (stored := _stored(session, key)) is not None:
            return stored
        _remember(session, key, effect, now(), actor_key)
        return effect

    def replay(session: Session) -> Effect | None:
        assert key is not None
        return _stored(session, key)

    try:
        return await database.write(unit)
    except UserError as refused:
        effect = Effect(error(refused.message))
    except IntegrityError:
        if key is not None and (stored := await database.read(replay)) is not None:
            return stored
        raise
    if key is None:
        return effect
    try:
        return await database.write(lambda session: refusal(session, effect))
    except IntegrityError:
        if (stored := await database.read(replay)) is not None:
            return stored
        raise


_DELIVERED = (
    update(ProcessedEvent)
    .where(ProcessedEvent.key == bindparam("event_key"), ProcessedEvent.delivered_at.is_(None))
    .values(delivered_at=bindparam("at", type_=ProcessedEvent.delivered_at.type))
)


async def mark_delivered(database: Database, key: str, at: datetime) -> None:
    """The reply to `key` went out: a later replay of it sends nothing."""
    await database.write(
        lambda session: session.connection().execute(_DELIVERED, {"event_key": key, "at": at})
    )
