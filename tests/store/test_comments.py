"""Comments and moderation on the real store (SQLite and PostgreSQL), through the Core."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from core.actions import Action, Answer, ForgetMe, Moderate, Move, Seen, Withdraw
from core.actors import Actor
from core.app import Core
from core.comments.service import purge_expired
from core.comments.views import Delivery, Status
from core.config import CommentRules
from core.events import CommentDecided, CommentQueued, Event
from core.relay.port import Delivery as DeliveryResult
from core.relay.port import PostRef
from core.replies import Reply
from core.store.tables import AuditEntry, Comment, CommentDraft, ProcessedEvent
from tests.support.actors import (
    DISCORD_MODERATOR,
    MODERATOR,
    OPERATOR,
    OTHER_READER,
    READER,
    request_for,
)
from tests.support.clock import Clock
from tests.support.core_steps import collect, count, submit
from tests.support.settings import grant_test_moderators, make_settings


async def status_of(core: Core, comment_id: int) -> str:
    row = await core.database.read(lambda session: session.get(Comment, comment_id))
    assert row is not None
    return row.status


async def test_a_comment_is_held_then_approved_then_shown(core: Core) -> None:
    events = collect(core)
    said = await submit(core, READER, "Great analysis of the compute race")
    assert "#1 is waiting for a moderator" in said
    await core.events.drain()
    assert [type(e) for e in events] == [CommentQueued]
    assert "No comments" in (await core.execute(request_for(OTHER_READER), "comments")).reply.text

    decided = await core.execute(request_for(MODERATOR), "approve", "1")
    assert "Approved by Mia Moderator" in decided.reply.text
    await core.events.drain()
    notice = events[-1]
    assert isinstance(notice, CommentDecided) and notice.author_notice is not None
    assert "was approved" in notice.author_notice.text

    listed = (await core.execute(request_for(OTHER_READER), "comments")).reply.text
    assert "Great analysis of the compute race" in listed
    assert "Ada Reader" in listed and "501" not in listed  # display name, never the id


async def test_only_approved_comments_are_listed(core: Core, clock: Clock) -> None:
    for n in range(4):
        await submit(core, Actor("telegram", str(700 + n), f"R{n}"), f"Comment number {n}")
    await core.execute(request_for(MODERATOR), "approve", "1")
    await core.execute(request_for(MODERATOR), "reject", "2 off topic")
    await core.execute(request_for(MODERATOR), "spam", "3")
    listed = (await core.execute(request_for(READER), "comments")).reply.text
    assert "Comment number 0" in listed
    assert all(f"Comment number {n}" not in listed for n in (1, 2, 3))


async def test_comments_are_paginated_newest_first(core: Core) -> None:
    for n in range(7):
        await submit(core, Actor("telegram", str(800 + n), f"R{n}"), f"Paged comment {n}")
        await core.execute(request_for(MODERATOR), "approve", str(n + 1))
    first = (await core.execute(request_for(READER), "comments")).reply
    assert "page 1 of 2" in first.text
    assert first.text.index("Paged comment 6") < first.text.index("Paged comment 2")
    assert "Paged comment 1" not in first.text
    older = next(b for b in first.action_buttons if "Older" in b.label)
    second = (await core.press(request_for(READER), older.action)).reply
    assert second.edit_in_place and "Paged comment 0" in second.text


async def test_flood_interval_and_moderator_exemption(core: Core, clock: Clock) -> None:
    await submit(core, READER, "First thought")
    refused = await submit(core, READER, "Second thought")
    assert "too quickly" in refused and "wait 15 s" in refused
    clock.advance(15)
    assert "waiting for a moderator" in await submit(core, READER, "Second thought")
    await submit(core, MODERATOR, "Moderator note one")
    assert "waiting" in await submit(core, MODERATOR, "Moderator note two")


async def test_same_text_twice_is_refused(core: Core, clock: Clock) -> None:
    await submit(core, READER, "I agree with this")
    clock.advance(60)
    refused = await submit(core, READER, "  i AGREE   with this ")
    assert "already said that" in refused
    assert await count(core, Comment) == 1
    # Another author may say the same.
    assert "waiting" in await submit(core, OTHER_READER, "I agree with this")


async def test_withdrawn_text_may_be_sent_again(core: Core, clock: Clock) -> None:
    await submit(core, READER, "Second thoughts")
    out = await core.execute(request_for(READER), "withdraw", "1")
    assert "withdrawn" in out.reply.text
    clock.advance(60)
    assert "waiting" in await submit(core, READER, "Second thoughts")


async def test_concurrent_decisions_decide_once(core: Core) -> None:
    await submit(core, READER, "Contested comment")
    approve = core.execute(request_for(MODERATOR), "approve", "1")
    reject = core.execute(request_for(DISCORD_MODERATOR), "reject", "1 not today")
    spam = core.press(request_for(OPERATOR), Moderate(Move.SPAM, 1).pack())
    outcomes = await asyncio.gather(approve, reject, spam)
    # The winner is shown the decided card; the others are told it was decided.
    winners = [o for o in outcomes if o.reply.text.startswith("Comment #1 on")]
    losers = [o for o in outcomes if not o.reply.text.startswith("Comment #1 on")]
    assert len(winners) == 1 and len(losers) == 2
    final = await status_of(core, 1)
    assert all(
        f"already {final}" in o.reply.text or "already marked" in o.reply.text for o in losers
    )
    decided = await count(core, AuditEntry, AuditEntry.action == "decided")
    assert decided == 1


async def test_a_late_press_says_who_decided(core: Core) -> None:
    await submit(core, READER, "Decide me")
    first = await core.press(request_for(MODERATOR), Moderate(Move.APPROVE, 1).pack())
    assert first.reply.edit_in_place and "Approved by Mia Moderator" in first.reply.text
    late = await core.press(request_for(DISCORD_MODERATOR), Moderate(Move.REJECT, 1).pack())
    assert late.reply.ephemeral
    assert "already approved by Mia Moderator" in late.reply.text
    assert await status_of(core, 1) == "approved"


async def test_readers_cannot_moderate_whatever_the_payload(core: Core) -> None:
    await submit(core, READER, "Forge me")
    for move in Move:
        out = await core.press(request_for(OTHER_READER), Moderate(move, 1).pack())
        assert out.reply.is_error and "Only moderators" in out.reply.text
    for command in ("approve", "reject", "spam", "ban", "pending", "export"):
        out = await core.execute(request_for(READER), command, "1")
        assert out.reply.is_error and "moderators only" in out.reply.text
    # A Discord user claiming a Telegram moderator's id is still not one.
    impostor = Actor("discord", MODERATOR.user_id, "Impostor")
    assert (
        await core.press(request_for(impostor), Moderate(Move.APPROVE, 1).pack())
    ).reply.is_error
    assert await status_of(core, 1) == "pending"
    assert await count(core, AuditEntry, AuditEntry.action == "decided") == 0


async def test_discord_moderator_by_role(core: Core) -> None:
    await submit(core, READER, "Role based")
    assert not (
        await core.press(request_for(DISCORD_MODERATOR), Moderate(Move.APPROVE, 1).pack())
    ).reply.is_error
    assert core.is_moderator(DISCORD_MODERATOR)
    assert not core.is_moderator(Actor("discord", "1", "x", role_ids=frozenset({"778"})))


async def test_replayed_confirmation_creates_nothing_new(core: Core) -> None:
    events = collect(core)
    preview = await core.execute(request_for(READER), "comment", "Only once please")
    confirm = preview.reply.action_buttons[0].action
    first = await core.press(request_for(READER, key="telegram:update:77"), confirm)
    again = await core.press(request_for(READER, key="telegram:update:77"), confirm)
    assert not first.replayed and again.replayed
    assert again.reply == first.reply
    await core.events.drain()
    assert await count(core, Comment) == 1
    assert len([e for e in events if isinstance(e, CommentQueued)]) == 1


async def test_concurrent_redeliveries_of_one_key_act_once(core: Core) -> None:
    preview = await core.execute(request_for(READER), "comment", "Racing myself")
    confirm = preview.reply.action_buttons[0].action
    outcomes = await asyncio.gather(
        *(core.press(request_for(READER, key="discord:interaction:5"), confirm) for _ in range(5))
    )
    assert sum(not o.replayed for o in outcomes) == 1
    assert len({o.reply for o in outcomes}) == 1
    assert await count(core, Comment) == 1
    assert await count(core, ProcessedEvent, ProcessedEvent.key == "discord:interaction:5") == 1


async def test_a_refusal_is_replayed_as_a_refusal(core: Core, clock: Clock) -> None:
    await submit(core, READER, "First")
    refused = await core.submit_comment(request_for(READER, key="k:1"), "Second")
    assert "too quickly" in refused.reply.text
    clock.advance(60)
    again = await core.submit_comment(request_for(READER, key="k:1"), "Second")
    assert again.replayed and "too quickly" in again.reply.text
    assert await count(core, Comment) == 1


async def test_replayed_decision_does_not_decide_twice(core: Core) -> None:
    await submit(core, READER, "Decide once")
    first = await core.press(
        request_for(MODERATOR, key="tg:cb:1"), Moderate(Move.APPROVE, 1).pack()
    )
    again = await core.press(
        request_for(MODERATOR, key="tg:cb:1"), Moderate(Move.APPROVE, 1).pack()
    )
    assert again.replayed and again.reply == first.reply
    assert await count(core, AuditEntry, AuditEntry.action == "decided") == 1


async def test_fifty_concurrent_submitters(core: Core) -> None:
    authors = [Actor("discord", str(10_000 + n), f"Reader {n}") for n in range(50)]
    outcomes = await asyncio.gather(
        *(
            core.submit_comment(request_for(a), f"Concurrent comment from {a.user_id}")
            for a in authors
        )
    )
    assert [o.reply.is_error for o in outcomes] == [False] * 50, [o.reply.text for o in outcomes]
    assert await count(core, Comment) == 50
    assert await count(core, AuditEntry, AuditEntry.action == "submitted") == 50


async def test_ban_blocks_until_its_end_and_unban_lifts_it(core: Core, clock: Clock) -> None:
    await submit(core, READER, "Before the ban")
    out = await core.execute(request_for(MODERATOR), "ban", "#1 2d trolling")
    assert "telegram:501 may not comment until" in out.reply.text
    clock.advance(60)
    assert "stopped you from commenting until" in await submit(core, READER, "During the ban")
    clock.advance(2 * 86400)
    assert "waiting" in await submit(core, READER, "After the ban")
    await core.execute(request_for(MODERATOR), "ban", "telegram:501 forever")
    clock.advance(60)
    assert "stopped you" in await submit(core, READER, "Banned again")
    assert (
        "may comment again"
        in (await core.execute(request_for(MODERATOR), "unban", "telegram:501")).reply.text
    )
    assert "waiting" in await submit(core, READER, "Free again")


async def test_ban_button_bans_and_files_as_spam(core: Core, clock: Clock) -> None:
    await submit(core, READER, "Buy my stuff")
    out = await core.press(request_for(MODERATOR), Moderate(Move.BAN, 1).pack())
    assert "spam" in out.reply.text.lower()
    assert await status_of(core, 1) == "spam"
    clock.advance(60)
    assert "stopped you" in await submit(core, READER, "Buy more")


FORMS = "30m, 12h, 7d, 2w, a date like 2026-12-31 (UTC), or forever"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ("", "Usage"),
        ("telegram:1", "Usage"),  # no length: never a silent permanent ban
        ("#999 7d", "no comment"),
        ("nowhere:1 7d", "not an author"),
        ("telegram:1 yesterday-ish", FORMS),
        ("telegram:1 trolling and spamming", FORMS),  # a reason where the length goes
        ("telegram:1 7days", FORMS),
        ("telegram:1 1y", FORMS),
        ("telegram:1 2026-02-30", FORMS),
        ("telegram:1 12/31/2026", FORMS),
        ("telegram:1 ７d", FORMS),  # full-width digit
        ("telegram:1 -3d", FORMS),
        ("telegram:1 1.5d", FORMS),
        ("telegram:1 0d", "in the future"),
        ("telegram:1 2026-11-27", "in the future"),  # today began before now
        ("telegram:1 2020-01-01", "in the future"),
        ("telegram:1 999999w", "at most 5 years"),
        ("telegram:1 99999999999999999999999d", "at most 5 years"),
        ("telegram:1 261w", "at most 5 years"),
        ("telegram:1 2031-11-28", "at most 5 years"),
        ("telegram:1 9999-12-31T23:59", "at most 5 years"),
        # Not an identity any platform gives: PostgreSQL refused the first two outright.
        ("telegram:" + "9" * 200 + " 7d", "is not an author"),
        ("telegram:1\x00 7d", "is not an author"),
        ("mastodon:1 7d", "is not an author"),
        ("telegram: 7d", "is not an author"),
    ],
)
async def test_ban_arguments_that_are_refused(core: Core, args: str, problem: str) -> None:
    out = await core.execute(request_for(MODERATOR), "ban", args)
    assert out.reply.is_error and problem in out.reply.text, out.reply.text
    assert await core.database.read(core.comments.bans) == []


@pytest.mark.parametrize("who", ["telegram:" + "9" * 200, "telegram:1\x00", "x:1"])
async def test_unban_refuses_what_is_not_an_author(core: Core, who: str) -> None:
    out = await core.execute(request_for(MODERATOR), "unban", who)
    assert out.reply.is_error and "is not an author" in out.reply.text, out.reply.text


@pytest.mark.parametrize(
    ("args", "until", "reason", "said"),
    [
        ("telegram:1 30m", "2026-11-27 12:30", None, "until 2026-11-27 12:30 UTC"),
        ("telegram:1 12H rude", "2026-11-28 00:00", "rude", "until 2026-11-28 00:00 UTC"),
        ("telegram:1 7d spam links", "2026-12-04 12:00", "spam links", "until 2026-12-04"),
        ("telegram:1 2w", "2026-12-11 12:00", None, "until 2026-12-11"),
        ("telegram:1 260w", "2031-11-21 12:00", None, "until 2031-11-21"),
        ("telegram:1 2026-12-31", "2026-12-31 00:00", None, "until 2026-12-31 00:00 UTC"),
        ("telegram:1 2027-01-02T10:30", "2027-01-02 10:30", None, "until 2027-01-02 10:30"),
        ("telegram:1 2027-01-02T10:30+02:00", "2027-01-02 08:30", None, "until 2027-01-02"),
        ("telegram:1 2031-11-27", "2031-11-27 00:00", None, "until 2031-11-27"),
        ("telegram:1 forever", None, None, "may not comment any more"),
        ("telegram:1 FOREVER repeat troll", None, "repeat troll", "may not comment any more"),
    ],
)
async def test_ban_arguments_that_are_understood(
    core: Core, args: str, until: str | None, reason: str | None, said: str
) -> None:
    out = await core.execute(request_for(MODERATOR), "ban", args)
    assert not out.reply.is_error and said in out.reply.text, out.reply.text
    [ban] = await core.database.read(core.comments.bans)
    assert (ban.author_key, ban.reason) == ("telegram:1", reason)
    assert (f"{ban.until:%Y-%m-%d %H:%M}" if ban.until else None) == until


async def test_mycomments_withdraw_and_forgetme(core: Core, clock: Clock) -> None:
    await submit(core, READER, "Mine one")
    clock.advance(20)
    await submit(core, READER, "Mine two")
    await core.execute(request_for(MODERATOR), "reject", "1 please stay on topic")
    mine = (await core.execute(request_for(READER), "mycomments")).reply
    assert "not approved" in mine.text and "please stay on topic" in mine.text
    assert [b.label for b in mine.action_buttons] == ["↩️ Withdraw #2"]
    # Someone else cannot withdraw it.
    withdraw = Withdraw(2).pack()
    assert (await core.press(request_for(OTHER_READER), withdraw)).reply.is_error
    assert "withdrawn" in (await core.press(request_for(READER), withdraw)).reply.text
    confirm = (await core.execute(request_for(READER), "forgetme")).reply
    assert [Action.parse(b.action) for b in confirm.action_buttons] == [
        ForgetMe(Answer.YES, "501"),
        ForgetMe(Answer.NO, "501"),
    ]
    erased = await core.press(request_for(READER), ForgetMe(Answer.YES, "501").pack())
    assert "2 comment(s) erased" in erased.reply.text
    assert await count(core, Comment, Comment.status != Status.ERASED) == 0
    assert await count(core, AuditEntry, AuditEntry.action == "erased") == 1


async def test_delivery_outcome_is_recorded(core: Core) -> None:
    await submit(core, READER, "Tell me")
    await core.execute(request_for(MODERATOR), "approve", "1")
    await core.relay.ledger.record_delivery(1, False, "Forbidden: bot was blocked by the user")
    row = await core.database.read(lambda session: session.get(Comment, 1))
    assert row is not None and row.delivery == Delivery.FAILED
    mine = (await core.execute(request_for(READER), "mycomments")).reply.text
    assert "approved" in mine and "could not message you" in mine


async def test_export_has_every_comment(core: Core, clock: Clock) -> None:
    await submit(core, READER, 'Quotes " and, commas')
    clock.advance(20)
    await submit(core, READER, "Второй комментарий")
    out = await core.execute(request_for(MODERATOR), "export")
    json_file, csv_file = out.reply.attachments
    data = json.loads(json_file.content)
    assert [c["text"] for c in data["comments"]] == ['Quotes " and, commas', "Второй комментарий"]
    rows = list(csv.DictReader(io.StringIO(csv_file.content.decode())))
    assert [r["status"] for r in rows] == [Status.PENDING, Status.PENDING]
    assert rows[0]["text"] == 'Quotes " and, commas'


async def test_moderation_posts_and_state(core: Core) -> None:
    await submit(core, READER, "Posted card")
    await core.relay.ledger.record_post(1, PostRef("telegram", "-100", "55"))
    await core.relay.ledger.record_post(1, PostRef("discord", "42", "66"))
    posts = await core.relay.ledger.posts(1, "telegram")
    assert [(p.chat_id, p.message_id) for p in posts] == [("-100", "55")]
    assert await core.load_state("discord.command_hash") is None
    await core.save_state("discord.command_hash", "abc")
    await core.save_state("discord.command_hash", "def")
    assert await core.load_state("discord.command_hash") == "def"


async def test_cancelled_preview_sends_nothing(core: Core) -> None:
    preview = await core.execute(request_for(READER), "comment", "Never mind")
    cancel = preview.reply.action_buttons[1].action
    out = await core.press(request_for(READER), cancel)
    assert "nothing was sent" in out.reply.text
    confirm = preview.reply.action_buttons[0].action
    assert (await core.press(request_for(READER), confirm)).reply.is_error
    assert await count(core, Comment) == 0


async def test_someone_elses_preview_cannot_be_sent(core: Core) -> None:
    preview = await core.execute(request_for(READER), "comment", "My words")
    confirm = preview.reply.action_buttons[0].action
    out = await core.press(request_for(OTHER_READER), confirm)
    assert out.reply.is_error
    assert await count(core, Comment) == 0


async def test_expired_event_keys_and_drafts_are_purged(core: Core, clock: Clock) -> None:
    await core.execute(request_for(READER, key="old:1"), "comment", "Stale preview")
    clock.advance(8 * 86400)
    await core.execute(request_for(READER, key="new:1"), "comment", "Fresh preview")
    await core.database.write(lambda session: purge_expired(session, clock()))
    assert await count(core, ProcessedEvent) == 1
    assert await count(core, CommentDraft) == 1


async def test_a_replay_resends_only_an_unconfirmed_reply(core: Core) -> None:
    preview = await core.execute(request_for(READER), "comment", "Crash after commit")
    confirm = preview.reply.action_buttons[0].action
    first = await core.press(request_for(READER, key="tg:9"), confirm)
    assert first.should_send and first.confirm_key == "tg:9"
    # The process died before answering: the re-delivered update must get its answer.
    again = await core.press(request_for(READER, key="tg:9"), confirm)
    assert again.replayed and again.redeliver and again.should_send
    assert again.reply == first.reply
    async with core.delivering(again) as reply:
        assert reply == first.reply
    third = await core.press(request_for(READER, key="tg:9"), confirm)
    assert third.replayed and not third.should_send
    assert await count(core, Comment) == 1


async def test_a_reply_whose_sending_failed_is_not_confirmed(core: Core) -> None:
    preview = await core.execute(request_for(READER), "comment", "Network down")
    confirm = preview.reply.action_buttons[0].action
    first = await core.press(request_for(READER, key="tg:10"), confirm)
    with pytest.raises(ConnectionError):
        async with core.delivering(first):
            raise ConnectionError("the platform did not answer")
    again = await core.press(request_for(READER, key="tg:10"), confirm)
    assert again.redeliver and again.should_send


async def test_cards_that_never_reached_a_platform_are_found(core: Core, clock: Clock) -> None:
    await submit(core, READER, "Card posted")
    clock.advance(20)
    await submit(core, READER, "Card lost in a crash")
    clock.advance(20)
    await submit(core, READER, "Decided already")
    await core.execute(request_for(MODERATOR), "approve", "3")
    await core.relay.ledger.record_post(1, PostRef("telegram", "-100", "7"))
    missing = await core.relay.ledger.unposted("telegram")
    assert [e.comment.id for e in missing] == [2]
    assert Action.parse(missing[0].card.action_buttons[0].action) == Moderate(Move.APPROVE, 2)
    assert [e.comment.id for e in await core.relay.ledger.unposted("discord")] == [1, 2]


async def test_decisions_whose_author_was_never_told_are_found_by_the_next_process(
    core: Core, clock: Clock, database_url: str
) -> None:
    await submit(core, READER, "Told")  # a Telegram author
    await submit(core, OTHER_READER, "Never told: the process died")  # a Discord author
    clock.advance(60)  # past the flood interval
    await submit(core, READER, "Also never told")
    for n in (1, 2, 3):
        await core.execute(request_for(MODERATOR), "approve", str(n))
    await core.execute(request_for(MODERATOR), "reject", "3 off topic")  # already decided
    await core.relay.ledger.record_delivery(1, True)
    # This process's own decisions are its live path's: not listed, even when waiting.
    assert await core.relay.ledger.untold("telegram") == []

    clock.advance(60)
    later = await Core.open(make_settings(database_url), clock=clock, migrate=False)
    grant_test_moderators(later)
    try:
        [discord] = await later.relay.ledger.untold("discord")
        [telegram] = await later.relay.ledger.untold("telegram")
        assert (discord.comment.id, telegram.comment.id) == (2, 3)
        assert discord.author_notice is not None
        assert "was approved" in discord.author_notice.text
        await later.relay.ledger.record_delivery(
            2, False, "50007 Cannot send messages to this user"
        )
        assert await later.relay.ledger.untold("discord") == []
    finally:
        await later.close()


async def test_cards_not_showing_a_decision_are_found_until_they_do(core: Core) -> None:
    await submit(core, READER, "Decided elsewhere")
    await core.relay.ledger.record_post(1, PostRef("telegram", "-100", "55"))
    await core.relay.ledger.record_post(1, PostRef("discord", "42", "66"))
    assert await core.relay.ledger.unedited("discord") == []  # pending: the card is right
    await core.execute(request_for(MODERATOR), "approve", "1")
    # Decided (in this process or another): cards not yet edited to show it are owed.
    owed = await core.relay.ledger.unedited("discord")
    assert [(e.comment.id, e.comment.status) for e in owed] == [(1, "approved")]
    await core.relay.ledger.cards_show(1, "discord", "approved")
    assert await core.relay.ledger.unedited("discord") == []
    assert [e.comment.id for e in await core.relay.ledger.unedited("telegram")] == [1]


# Decisions that change -------------------------------------------------------------------


@pytest.fixture
async def strict_core(database_url: str, clock: Clock) -> AsyncIterator[Core]:
    """A Core whose rules file comments naming a casino as spam, with no moderator."""
    rules = CommentRules(disallowed_words=("casino",))
    settings = make_settings(database_url, comment_rules=rules)
    instance = await Core.open(settings, clock=clock, migrate=False)
    grant_test_moderators(instance)
    try:
        yield instance
    finally:
        await instance.close()


async def moves(core: Core, comment_id: int) -> list[tuple[str | None, str | None]]:
    """The comment's audit trail as (from, to) statuses, oldest first."""
    rows = await core.database.read(
        lambda session: session.execute(
            select(AuditEntry.from_status, AuditEntry.to_status)
            .where(AuditEntry.comment_id == comment_id)
            .order_by(AuditEntry.id)
        ).all()
    )
    return [(row[0], row[1]) for row in rows]


async def delivery_of(core: Core, comment_id: int) -> str:
    row = await core.database.read(lambda session: session.get(Comment, comment_id))
    assert row is not None
    return row.delivery


def labelled(reply: Reply) -> dict[str, Action | None]:
    return {b.label: Action.parse(b.action) for b in reply.action_buttons}


def decided(events: list[Event]) -> list[CommentDecided]:
    return [e for e in events if isinstance(e, CommentDecided)]


async def listed(core: Core) -> str:
    return (await core.execute(request_for(OTHER_READER), "comments")).reply.text


async def test_a_comment_filed_as_spam_automatically_can_be_approved(strict_core: Core) -> None:
    core = strict_core
    events = collect(core)
    await submit(core, READER, "Best casino in town, or so they say")
    assert await status_of(core, 1) == "spam"
    asked = await core.execute(request_for(MODERATOR), "approve", "1")
    assert asked.reply.ephemeral and not asked.reply.is_error
    assert asked.reply.text.startswith("Comment #1 was already marked as spam automatically.")
    # From spam, as seen.
    assert labelled(asked.reply) == {"✅ Approve #1": Moderate(Move.APPROVE, 1, Seen.SPAM)}
    assert await status_of(core, 1) == "spam"

    approved = await core.press(
        request_for(MODERATOR), Moderate(Move.APPROVE, 1, Seen.SPAM).pack()
    )
    assert "Approved by Mia Moderator" in approved.reply.text
    assert "Best casino in town" in await listed(core)
    await core.events.drain()
    [event] = decided(events)
    assert event.author_notice is not None and "was approved" in event.author_notice.text
    assert await moves(core, 1) == [(None, "spam"), ("spam", "approved")]


async def test_moderators_move_decisions_between_approved_rejected_and_spam(core: Core) -> None:
    events = collect(core)
    await submit(core, READER, "Change of heart")
    card = (await core.press(request_for(MODERATOR), Moderate(Move.APPROVE, 1).pack())).reply
    assert labelled(card) == {
        "❌ Reject": Moderate(Move.REJECT, 1, Seen.APPROVED),
        "🗑 Spam": Moderate(Move.SPAM, 1, Seen.APPROVED),
    }
    # The reason form, as for a pending card.
    assert core.input_for(Moderate(Move.REJECT, 1, Seen.APPROVED).pack()) is not None

    card = (
        await core.press(
            request_for(DISCORD_MODERATOR),
            Moderate(Move.REJECT, 1, Seen.APPROVED).pack(),
            "off topic",
        )
    ).reply
    assert card.edit_in_place and "Rejected by Role Mod: off topic" in card.text
    assert labelled(card) == {
        "✅ Approve": Moderate(Move.APPROVE, 1, Seen.REJECTED),
        "🗑 Spam": Moderate(Move.SPAM, 1, Seen.REJECTED),
    }
    assert "Change of heart" not in await listed(core)

    card = (
        await core.press(request_for(MODERATOR), Moderate(Move.SPAM, 1, Seen.REJECTED).pack())
    ).reply
    assert "Marked as spam by Mia Moderator" in card.text and "off topic" not in card.text
    assert labelled(card) == {
        "✅ Approve": Moderate(Move.APPROVE, 1, Seen.SPAM),
        "❌ Reject": Moderate(Move.REJECT, 1, Seen.SPAM),
    }

    card = (await core.execute(request_for(OPERATOR), "approve", "1")).reply
    # A command assumes pending: asks.
    assert labelled(card) == {"✅ Approve #1": Moderate(Move.APPROVE, 1, Seen.SPAM)}
    card = (
        await core.press(request_for(OPERATOR), Moderate(Move.APPROVE, 1, Seen.SPAM).pack())
    ).reply
    assert "Approved by Operator" in card.text
    assert "Change of heart" in await listed(core)

    await core.events.drain()
    changes = decided(events)
    assert [e.comment.status for e in changes] == ["approved", "rejected", "spam", "approved"]
    notices = [e.author_notice.text if e.author_notice else "" for e in changes]
    assert "was approved" in notices[0]
    assert "no longer public" in notices[1] and "off topic" in notices[1]
    assert notices[2] == ""  # rejected or spam: not published either way, nothing to tell
    assert "was approved" in notices[3]
    assert await moves(core, 1) == [
        (None, "pending"),
        ("pending", "approved"),
        ("approved", "rejected"),
        ("rejected", "spam"),
        ("spam", "approved"),
    ]


async def test_a_change_from_a_status_no_longer_there_changes_nothing(
    core: Core, clock: Clock
) -> None:
    await submit(core, READER, "Seen differently")
    await core.press(request_for(MODERATOR), Moderate(Move.APPROVE, 1).pack())
    await core.press(
        request_for(DISCORD_MODERATOR), Moderate(Move.REJECT, 1, Seen.APPROVED).pack()
    )

    stale = await core.press(request_for(MODERATOR), Moderate(Move.SPAM, 1, Seen.APPROVED).pack())
    assert stale.reply.ephemeral and not stale.reply.edit_in_place
    assert stale.reply.text == "Comment #1 is now rejected by Role Mod."
    assert labelled(stale.reply) == {"🗑 Spam #1": Moderate(Move.SPAM, 1, Seen.REJECTED)}
    same = await core.press(request_for(MODERATOR), Moderate(Move.REJECT, 1, Seen.APPROVED).pack())
    assert same.reply.text == "Comment #1 was already rejected by Role Mod."
    assert same.reply.action_buttons == ()
    assert await status_of(core, 1) == "rejected"

    racing = await asyncio.gather(
        core.press(request_for(MODERATOR), Moderate(Move.APPROVE, 1, Seen.REJECTED).pack()),
        core.press(request_for(DISCORD_MODERATOR), Moderate(Move.SPAM, 1, Seen.REJECTED).pack()),
        core.press(request_for(OPERATOR), Moderate(Move.APPROVE, 1, Seen.REJECTED).pack()),
    )
    assert sum(not o.reply.ephemeral for o in racing) == 1
    assert len(await moves(core, 1)) == 4  # submitted, approved, rejected, one of the race

    clock.advance(60)
    await submit(core, READER, "Still pending")  # #2: a forged "seen" changes nothing either
    forged = await core.press(request_for(MODERATOR), Moderate(Move.APPROVE, 2, Seen.SPAM).pack())
    assert forged.reply.text == "Comment #2 is now waiting for a decision."
    assert labelled(forged.reply) == {"✅ Approve #2": Moderate(Move.APPROVE, 2)}
    # Ids no action packs to (a pending "seen" written out, an unknown status or move, a
    # field too many): strings, as a forger would post them.
    for bad in ("m:a:2:p", "m:a:2:w", "m:a:2:s:s", "m:x:2"):
        out = await core.press(request_for(MODERATOR), bad)
        assert out.reply.is_error and "no longer works" in out.reply.text
    assert await status_of(core, 2) == "pending"


async def test_a_withdrawn_comment_stays_withdrawn(core: Core) -> None:
    events = collect(core)
    await submit(core, READER, "Never mind")
    await core.execute(request_for(READER), "withdraw", "1")
    for action in (
        Moderate(Move.APPROVE, 1),
        Moderate(Move.REJECT, 1),
        Moderate(Move.SPAM, 1, Seen.APPROVED),
        Moderate(Move.APPROVE, 1, Seen.SPAM),
    ):
        out = await core.press(request_for(MODERATOR), action.pack())
        assert out.reply.text == "Comment #1 was withdrawn by its author."
        assert out.reply.action_buttons == ()
    out = await core.execute(request_for(MODERATOR), "approve", "1")
    assert out.reply.text == "Comment #1 was withdrawn by its author."
    assert await status_of(core, 1) == "withdrawn"
    await core.events.drain()
    [event] = decided(events)
    assert "Withdrawn by its author" in event.card.text and event.card.action_buttons == ()


async def test_the_ban_button_on_a_decided_comment_bans_and_says_so(
    core: Core, clock: Clock
) -> None:
    await submit(core, READER, "Approved, then regretted")
    await core.press(request_for(MODERATOR), Moderate(Move.APPROVE, 1).pack())
    out = await core.press(request_for(DISCORD_MODERATOR), Moderate(Move.BAN, 1).pack())
    assert out.reply.ephemeral and not out.reply.is_error
    assert out.reply.text == (
        "telegram:501 may not comment any more. Comment #1 stays approved (by Mia Moderator)."
    )
    assert await status_of(core, 1) == "approved"
    clock.advance(60)
    assert "stopped you" in await submit(core, READER, "Let me back in")

    # Withdrawn while the moderator read it: the author is banned all the same.
    await submit(core, OTHER_READER, "Withdrawn just in time")
    await core.execute(request_for(OTHER_READER), "withdraw", "2")
    out = await core.press(request_for(MODERATOR), Moderate(Move.BAN, 2).pack())
    assert out.reply.text == (
        "discord:601 may not comment any more. Comment #2 was withdrawn by its author."
    )
    assert await status_of(core, 2) == "withdrawn"

    # Erased by its author: nobody is left to ban.
    gone = Actor("telegram", "555", "Gone Reader")
    await submit(core, gone, "Erase me")
    await core.press(request_for(gone), ForgetMe(Answer.YES, "555").pack())
    out = await core.press(request_for(MODERATOR), Moderate(Move.BAN, 3).pack())
    assert out.reply.is_error and "no comment #3" in out.reply.text
    bans = await core.database.read(core.comments.bans)
    assert sorted((b.author_key, b.until) for b in bans) == [
        ("discord:601", None),
        ("telegram:501", None),
    ]


async def test_a_changed_outcome_is_owed_to_its_author_like_the_first(
    core: Core, clock: Clock, database_url: str
) -> None:
    await submit(core, READER, "Taken down as the power failed")
    await core.press(request_for(MODERATOR), Moderate(Move.APPROVE, 1).pack())
    await core.relay.ledger.record_delivery(1, True, told=Status.APPROVED)
    await core.press(
        request_for(MODERATOR), Moderate(Move.REJECT, 1, Seen.APPROVED).pack(), "libel"
    )
    assert await delivery_of(core, 1) == Delivery.WAITING
    # The approval's notice, recorded late, does not mark the take-down told.
    await core.relay.ledger.record_delivery(1, True, told=Status.APPROVED)
    assert await delivery_of(core, 1) == Delivery.WAITING

    clock.advance(60)
    later = await Core.open(make_settings(database_url), clock=clock, migrate=False)
    grant_test_moderators(later)
    try:
        [owed] = await later.relay.ledger.untold("telegram")
        assert owed.comment.status == "rejected" and owed.author_notice is not None
        assert "no longer public" in owed.author_notice.text
        assert "libel" in owed.author_notice.text
        await later.relay.ledger.record_delivery(1, False, "blocked", told=Status.REJECTED)
        # The same to the author.
        await later.press(request_for(MODERATOR), Moderate(Move.SPAM, 1, Seen.REJECTED).pack())
        assert await delivery_of(later, 1) == Delivery.FAILED
        assert await later.relay.ledger.untold("telegram") == []
    finally:
        await later.close()


async def test_cards_follow_a_changed_decision(core: Core) -> None:
    await submit(core, READER, "The card follows")
    await core.relay.ledger.record_post(1, PostRef("discord", "42", "66"))
    await core.press(request_for(MODERATOR), Moderate(Move.APPROVE, 1).pack())
    await core.relay.ledger.cards_show(1, "discord", "approved")
    assert await core.relay.ledger.unedited("discord") == []
    await core.press(request_for(MODERATOR), Moderate(Move.SPAM, 1, Seen.APPROVED).pack())
    [owed] = await core.relay.ledger.unedited("discord")
    assert owed.comment.status == "spam"
    assert labelled(owed.card) == {
        "✅ Approve": Moderate(Move.APPROVE, 1, Seen.SPAM),
        "❌ Reject": Moderate(Move.REJECT, 1, Seen.SPAM),
    }
    await core.relay.ledger.cards_show(1, "discord", "spam")
    assert await core.relay.ledger.unedited("discord") == []


async def test_a_decision_changed_while_the_last_was_told_and_shown_follows_it(
    core: Core,
) -> None:
    await submit(core, READER, "Quick change of mind")
    await core.relay.ledger.record_post(1, PostRef("telegram", "-100", "55"))
    await core.press(request_for(MODERATOR), Moderate(Move.APPROVE, 1).pack())
    await core.events.drain()
    approved = await core.relay.ledger.decided_now(1)
    assert approved is not None
    telegram = BlockingPlatform()
    core.relay.attach(telegram)

    telling = asyncio.create_task(core.relay.tell_author(telegram, approved))
    editing = asyncio.create_task(core.relay.update_cards(telegram, approved))
    await telegram.telling.wait()
    await telegram.editing.wait()
    await core.press(request_for(MODERATOR), Moderate(Move.REJECT, 1, Seen.APPROVED).pack())
    # The rejection's own notice and edit (published as events) find the claims taken and
    # leave them to these.
    await core.events.drain()
    assert (len(telegram.told), len(telegram.shown)) == (1, 1)
    telegram.release.set()
    await asyncio.gather(telling, editing)
    assert ["approved" in t.text for t in telegram.told] == [True, False]
    assert "no longer public" in telegram.told[1].text
    assert ["Approved" in c.text for c in telegram.shown] == [True, False]
    assert "Rejected" in telegram.shown[1].text
    assert await delivery_of(core, 1) == Delivery.DELIVERED
    assert await core.relay.ledger.unedited("telegram") == []


class BlockingPlatform:
    """A Telegram port whose first notice and first edit wait for `release`."""

    name = "telegram"
    moderation_target = None
    announce_targets = ()
    posts_once_per_key = False

    def __init__(self) -> None:
        self.release, self.telling, self.editing = (
            asyncio.Event(),
            asyncio.Event(),
            asyncio.Event(),
        )
        self.told: list[Reply] = []
        self.shown: list[Reply] = []

    async def post(self, target: str, reply: Reply) -> PostRef:
        raise AssertionError("no cards are posted here")

    async def edit(self, post: PostRef, reply: Reply) -> None:
        self.shown.append(reply)
        self.editing.set()
        await self.release.wait()

    async def delete(self, post: PostRef) -> None:
        raise AssertionError("no card is deleted here")

    async def notify(self, user_id: str, reply: Reply) -> DeliveryResult:
        self.told.append(reply)
        self.telling.set()
        await self.release.wait()
        return DeliveryResult(True)
