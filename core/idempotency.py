"""At-least-once delivery, exactly-once effects.

A state-changing call runs in one write transaction together with the insert of its event
key; a replay of the key finds the stored reply and repeats nothing. A refusal is stored too,
so a re-delivered update cannot succeed where the original was refused.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import UserError
from core.events import Event
from core.replies import Reply
from core.replies.build import error
from core.store.engine import Database
from core.store.tables import ProcessedEvent

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Effect:
    """What a unit of work produced: the reply, and events to publish once committed."""

    reply: Reply
    events: list[Event] = field(default_factory=list)


Work = Callable[[AsyncSession], Awaitable[Effect]]


async def _stored_reply(database: Database, key: str) -> Reply | None:
    async with database.reading() as session:
        row = await session.get(ProcessedEvent, key)
        return Reply.model_validate_json(row.reply_json) if row else None


async def run_once(
    database: Database, key: str | None, work: Work, *, now: Callable[[], datetime]
) -> tuple[Effect, bool]:
    """Run `work` in a write transaction at most once per key; returns (effect, replayed)."""
    if key is not None:
        stored = await _stored_reply(database, key)
        if stored is not None:
            return Effect(stored), True
    try:
        async with database.writing() as session:
            effect = await work(session)
            if key is not None:
                session.add(
                    ProcessedEvent(
                        key=key, created_at=now(), reply_json=effect.reply.model_dump_json()
                    )
                )
        return effect, False
    except UserError as refusal:
        effect = Effect(error(refusal.message))
    except IntegrityError:
        # Lost a race with a concurrent delivery of the same key: return what it produced.
        if key is not None and (stored := await _stored_reply(database, key)) is not None:
            return Effect(stored), True
        raise
    if key is None:
        return effect, False
    try:
        async with database.writing() as session:
            session.add(
                ProcessedEvent(
                    key=key, created_at=now(), reply_json=effect.reply.model_dump_json()
                )
            )
    except IntegrityError:
        if (stored := await _stored_reply(database, key)) is not None:
            return Effect(stored), True
        raise
    return effect, False
