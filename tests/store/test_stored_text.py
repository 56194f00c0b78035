"""What people type is stored cleaned and trimmed alike on SQLite and PostgreSQL, and what a
reader can make the bot store is bounded (real stores, through the Core)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from core.actions import Moderate, Move
from core.actors import Actor
from core.app import STORE_UNAVAILABLE, Core
from core.comments.service import OPEN_PREVIEWS, purge_expired
from core.config import CommentRules
from core.handlers.faq import UNANSWERED_PER_DAY
from core.handlers.moderation import _export_files
from core.store.tables import (
    AuditEntry,
    Ban,
    Comment,
    CommentDraft,
    DailyCap,
    UnansweredQuestion,
)
from tests.support.actors import MODERATOR, OTHER_READER, READER, request_for
from tests.support.clock import Clock
from tests.support.settings import grant_test_moderators, make_settings

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
    decided = await core.press(request_for(moderator), Moderate(Move.APPROVE, 1).pack())
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
    rules = CommentRules(manual_approval=False, disallowed_words=("viagra",))
    core = await Core.open(
        make_settings(database_url, comment_rules=rules), clock=clock, migrate=False
    )
    grant_test_moderators(core)
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


async def test_look_alike_letters_hide_nothing_and_are_stored_as_typed(strict: Core) -> None:
    disguised = "cheap vіаgrа here"  # a Cyrillic і and а
    assert "waiting" in await submit(strict, Actor("discord", "805", "Bo"), disguised)
    [stored] = await rows(strict, Comment)
    assert (stored.text, stored.status) == (disguised, "spam")
    assert stored.hold_reasons == "disallowed word “viagra” in look-alike letters"
    russian = "Привет! Хорошая статья"  # wholly Cyrillic: read as itself
    assert "is published" in await submit(strict, Actor("telegram", "806", "Оля"), russian)


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


async def test_a_new_preview_replaces_the_last_one_in_its_chat(core: Core) -> None:
    first = await core.execute(request_for(READER, chat_id="dm"), "comment", "Draft 0")
    for n in range(1, 200):
        last = await core.execute(request_for(READER, chat_id="dm"), "comment", f"Draft {n}")
    assert await count(core, CommentDraft) == 1
    stale = await core.press(request_for(READER), first.reply.action_buttons[0].action)
    assert stale.reply.is_error and "replaced by a newer one" in stale.reply.text
    sent = await core.press(request_for(READER), last.reply.action_buttons[0].action)
    assert "waiting for a moderator" in sent.reply.text
    [comment] = await rows(core, Comment)
    assert comment.text == "Draft 199"
    # Ids are never reused (SQLite reuses the highest deleted one unless told not to): the
    # Send button of the preview just sent never reaches the next one.
    await core.execute(request_for(READER, chat_id="dm"), "comment", "Draft 200")
    again = await core.press(request_for(READER), last.reply.action_buttons[0].action)
    assert again.reply.is_error and "already sent" in again.reply.text
    assert await count(core, Comment) == 1 and await count(core, CommentDraft) == 1


async def test_open_previews_are_one_per_chat_and_few_per_author(core: Core) -> None:
    for chat in ("dm", "group"):
        await core.execute(request_for(READER, chat_id=chat), "comment", f"In {chat}")
    assert {d.chat_id for d in await rows(core, CommentDraft)} == {"dm", "group"}
    for n in range(20):
        await core.execute(request_for(READER, chat_id=f"channel-{n}"), "comment", "Everywhere")
    await core.execute(request_for(OTHER_READER), "comment", "Someone else")
    mine = await rows(core, CommentDraft, CommentDraft.author_user_id == READER.user_id)
    assert len(mine) == OPEN_PREVIEWS
    assert {d.chat_id for d in mine} == {f"channel-{n}" for n in range(20 - OPEN_PREVIEWS, 20)}
    assert await count(core, CommentDraft, CommentDraft.author_user_id == OTHER_READER.user_id)


async def ask(core: Core, actor: Actor, question: str) -> str:
    return (await core.execute(request_for(actor), "faq", question)).reply.text


async def test_unanswered_questions_group_trivial_variants(core: Core) -> None:
    variants = [
        "Is there a pizza recipe?",
        "is there a PIZZA recipe",
        "  Is   there a pizza-recipe!! ",
        "Is there a pi\u200bzza re\u00adcipe?",
        "Is there a\tpizza recipe…",
    ]
    for question in variants:
        assert "passed your question on" in await ask(core, READER, question)
    [row] = await rows(core, UnansweredQuestion)
    assert (row.normalized, row.times_asked) == ("is there a pizza recipe", len(variants))
    assert row.example == variants[0]


async def test_one_reader_adds_a_bounded_number_of_questions_a_day(
    core: Core, clock: Clock
) -> None:
    answers = {await ask(core, READER, f"Is there a pizza recipe v{n}x?") for n in range(30)}
    assert len(answers) == 1 and "passed your question on" in answers.pop()
    assert await count(core, UnansweredQuestion) == UNANSWERED_PER_DAY
    # Past the cap, a question already counted is not counted again either.
    await ask(core, READER, "Is there a pizza recipe v0x?")
    [first] = await rows(core, UnansweredQuestion, UnansweredQuestion.normalized.endswith(" v0x"))
    assert first.times_asked == 1
    assert "passed" in await ask(core, OTHER_READER, "Is there a pizza recipe v0x?")
    assert "passed" in await ask(core, OTHER_READER, "Is there a pasta recipe?")
    assert await count(core, UnansweredQuestion) == UNANSWERED_PER_DAY + 1

    # The count names no one, and is forgotten once its day is over.
    stored = await core.database.read(lambda s: [tuple(r) for r in s.execute(select(DailyCap))])
    assert READER.user_id not in repr(stored) and READER.key not in repr(stored)
    clock.advance(86400)
    await ask(core, READER, "Is there a pizza recipe for tomorrow?")
    assert await count(core, UnansweredQuestion) == UNANSWERED_PER_DAY + 2
    await core.database.write(lambda session: purge_expired(session, clock()))
    assert await count(core, DailyCap) == 1


async def test_the_daily_cap_holds_across_processes(
    core: Core, clock: Clock, database_url: str
) -> None:
    other = await Core.open(make_settings(database_url), clock=clock, migrate=False)
    grant_test_moderators(other)
    try:
        asked = [
            (core if n % 2 else other).execute(request_for(READER), "faq", f"Pizza recipe v{n}x?")
            for n in range(3 * UNANSWERED_PER_DAY)
        ]
        outcomes = await asyncio.gather(*asked)
        assert all("passed your question on" in o.reply.text for o in outcomes)
        assert await count(core, UnansweredQuestion) == UNANSWERED_PER_DAY
        [cap] = await rows(core, DailyCap)
        assert cap.used == UNANSWERED_PER_DAY
    finally:
        await other.close()


# A spreadsheet runs a cell as a formula when it starts with one of these, in some after
# leading whitespace, in some in full-width form (OWASP, CSV Injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def runs_as_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_START) or cell.lstrip().startswith(FORMULA_START)


async def test_export_cells_never_run_as_formulas(core: Core, clock: Clock) -> None:
    hostile = [
        ('=HYPERLINK("http://evil.example","Ada")', "=1+2"),
        ("+Bob", '+cmd|" /C calc"!A0'),
        ("-Cy", "-2+3 is what I think"),
        ("@Di", '@SUM(1+1)*cmd|" /C calc"!A0'),
        ("\tEd", "\t=1+1 after a tab"),
        ("\u200b=Fay", "\u00a0=1+1 after a no-break space"),
        ("＝Gus", "＝1+1 in full width"),
        ("Hal", "A harmless comment"),
    ]
    for n, (name, text) in enumerate(hostile):
        said = await submit(core, Actor("telegram", str(900 + n), name), text)
        assert "waiting" in said, said
    moderator = Actor("telegram", MODERATOR.user_id, "=Mod")
    await core.execute(request_for(moderator), "reject", '1 =HYPERLINK("http://evil.example")')
    out = await core.execute(request_for(MODERATOR), "export")
    json_file, csv_file = out.reply.attachments

    cells = [cell for row in csv.reader(io.StringIO(csv_file.content.decode())) for cell in row]
    dangerous = [cell for cell in cells if runs_as_formula(cell)]
    assert dangerous == []
    rows_ = list(csv.DictReader(io.StringIO(csv_file.content.decode())))
    assert [r["author_name"] for r in rows_][:2] == [
        '\'=HYPERLINK("http://evil.example","Ada")',
        "'+Bob",
    ]
    assert rows_[0]["decided_by_name"] == "'=Mod" and rows_[-1]["text"] == "A harmless comment"
    # JSON is data, not a sheet: it keeps every text exactly as stored.
    data = json.loads(json_file.content)
    assert [c["text"] for c in data["comments"]][:2] == ["=1+2", '+cmd|" /C calc"!A0']
    assert data["comments"][0]["decided_by_name"] == "=Mod"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("  =1+1", "'  =1+1"),
        ("\n@SUM(A1)", "'\n@SUM(A1)"),
        ("\r=1", "'\r=1"),
        ("\t+1", "'\t+1"),
        ("－1", "'－1"),
        ("1-1=0", "1-1=0"),
        ("a = b", "a = b"),
        ("", ""),
    ],
)
def test_export_cells_that_could_start_a_formula_are_quoted(cell: str, written: str) -> None:
    _, as_csv = _export_files([{"text": cell, "author_name": cell}], [])
    [row] = csv.DictReader(io.StringIO(as_csv.decode(), newline=""))
    assert (row["text"], row["author_name"]) == (written, written)
