"""What people type is stored cleaned and trimmed alike on SQLite and PostgreSQL, and what a
reader can make the bot store is bounded (real stores, through the Core)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from core.actors import Actor
from core.app import STORE_UNAVAILABLE, Core
from core.config import CommentRules
from core.store.tables import AuditEntry, Ban, Comment, UnansweredQuestion
from tests.conftest import MODERATOR, READER, Clock, make_settings, request_for

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


@pytest.fixture
async def strict(database_url: str, clock: Clock) -> AsyncIterator[Core]:
    """A Core whose rules file "viagra" as spam and publish everything else."""
    rules = CommentRules(_env_file=None, manual_approval=False, disallowed_words=["viagra"])
    core = await Core.open(
        make_settings(database_url, comment_rules=rules), clock=clock, migrate=False
    )
    try:
        yield core
    finally:
        await core.close()


# A table of invisible characters (tests/core/test_text.py has the full one, without a store).
HIDDEN = [
    pytest.param("\x00", id="NUL"),
    pytest.param("\u00ad", id="soft-hyphen"),
    pytest.param("\u180e", id="mongolian-vowel-separator"),
    pytest.param("\u200b", id="zero-width-space"),
    pytest.param("\u200d", id="zwj-in-latin"),
    pytest.param("\u202e", id="rlo"),
    pytest.param("\u2060", id="word-joiner"),
    pytest.param("\u2062", id="invisible-times"),
    pytest.param("\u3164", id="hangul-filler"),
    pytest.param("\ufe0f", id="vs16-after-a-letter"),
    pytest.param("\ufeff", id="bom"),
    pytest.param("\U000e0041", id="tag-latin-a"),
]


@pytest.mark.parametrize("char", HIDDEN)
async def test_invisible_characters_hide_nothing(strict: Core, clock: Clock, char: str) -> None:
    author = Actor("telegram", "801", f"Ada{char} Rea{char}der")
    assert "is published" in await submit(strict, author, f"I ag{char}ree with{char} this")
    [stored] = await rows(strict, Comment)
    assert (stored.text, stored.author_name) == ("I agree with this", "Ada Reader")
    clock.advance(60)
    assert "already said that" in await submit(strict, author, "I agree with this")
    assert "empty" in await submit(strict, author, char * 2)
    spammer = Actor("discord", "802", "Bo")
    assert "waiting" in await submit(strict, spammer, f"cheap via{char}gra here")
    named = Actor("discord", "803", f"Vi{char}agra King")
    assert "waiting" in await submit(strict, named, "A fair piece")
    statuses = [row.status for row in await rows(strict, Comment, Comment.id > 1)]
    assert statuses == ["spam", "spam"]
    trail = await rows(strict, AuditEntry)
    assert {entry.actor_name for entry in trail} == {"Ada Reader", "Bo", "Viagra King"}


EMOJI = "Family 👨\u200d👩\u200d👧, pride 🏳\ufe0f\u200d🌈, 1\ufe0f\u20e3 ❤\ufe0f"
ENGLAND = "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"


async def test_emoji_and_joining_scripts_are_stored_as_sent(strict: Core) -> None:
    author = Actor("telegram", "804", f"Sam {ENGLAND} 👩🏽\u200d💻")
    text = f"{EMOJI} {ENGLAND} می\u200cخواهم"
    assert "is published" in await submit(strict, author, text)
    [stored] = await rows(strict, Comment)
    assert (stored.text, stored.author_name) == (text, author.display_name)
    listed = (await strict.execute(request_for(READER), "comments")).reply.text
    assert text in listed and author.display_name in listed
