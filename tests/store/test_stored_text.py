"""What people type is stored cleaned and trimmed alike on SQLite and PostgreSQL, and what a
reader can make the bot store is bounded (real stores, through the Core)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from core.actors import Actor
from core.app import STORE_UNAVAILABLE, Core
from core.store.tables import AuditEntry, Ban, Comment, UnansweredQuestion
from tests.conftest import MODERATOR, READER, Clock, request_for

LONG_NAME = "Ada \x00" + "Lovelace " * 33  # a Telegram full name can be this long (300+)


async def submit(core: Core, actor: Actor, text: str, *, chat_id: str = "chat") -> str:
    """Preview then confirm, as a reader does; returns what the reader was told."""
    preview = await core.execute(request_for(actor, chat_id=chat_id), "comment", text)
    if preview.reply.is_error:
        return preview.reply.text
    confirm = preview.reply.action_buttons[0].action
    return (await core.press(request_for(actor, chat_id=chat_id), confirm)).reply.text


async def rows(core: Core, model: type, *where: Any) -> list[Any]:
    return await core.database.read(
        lambda session: list(session.scalars(select(model).where(*where)))
    )


async def count(core: Core, model: type, *where: Any) -> int:
    return await core.database.read(
        lambda session: session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    )


async def test_long_names_with_nul_comment_decide_and_ban(core: Core, clock: Clock) -> None:
    reader = Actor("telegram", "777", LONG_NAME)
    moderator = Actor("telegram", MODERATOR.user_id, "Mod \x00" + "Erator " * 45)
    said = await submit(core, reader, "A comment from a long name")
    assert "waiting for a moderator" in said, said
    decided = await core.press(request_for(moderator), "m:a:1")
    assert not decided.reply.is_error and STORE_UNAVAILABLE not in decided.reply.text
    banned = await core.execute(request_for(moderator), "ban", "telegram:777 7d \x00spam")
    assert "may not comment" in banned.reply.text, banned.reply.text

    [comment] = await rows(core, Comment)
    assert comment.status == "approved"
    assert comment.author_name.startswith("Ada Lovelace") and "\x00" not in comment.author_name
    assert comment.decided_by_name is not None and len(comment.decided_by_name) <= 128
    assert comment.decided_by_name.startswith("Mod Erator")
    [ban] = await rows(core, Ban)
    assert ban.banned_by_name == comment.decided_by_name
    assert ban.reason == "spam"
    trail = await rows(core, AuditEntry)
    assert [entry.action for entry in trail] == ["submitted", "decided", "banned"]
    for entry in trail:
        assert len(entry.actor_name) <= 128 and "\x00" not in entry.actor_name
        assert entry.actor_name == entry.actor_name.strip()
    clock.advance(60)
    assert "stopped you" in await submit(core, reader, "Banned now")


async def test_a_faq_question_with_nul_is_recorded_as_unanswered(core: Core) -> None:
    out = await core.execute(request_for(READER), "faq", "Is there a \x00 pizza recipe?")
    assert "passed your question on" in out.reply.text, out.reply.text
    [row] = await rows(core, UnansweredQuestion)
    assert row.example == "Is there a  pizza recipe?"
    assert row.normalized == "is there a pizza recipe"
