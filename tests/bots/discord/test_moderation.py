"""Moderation on Discord: cards, persistent buttons (also after a restart), modals, DMs."""

from __future__ import annotations

import copy

import pytest

from core.actions import Moderate, Move, Seen
from core.actors import Actor, Request
from core.app import Core
from tests.support.clock import Clock
from tests.support.discord_api import EPHEMERAL, FakeDiscord
from tests.support.discord_flows import (
    CARDS,
    buttons,
    card_of,
    card_posts,
    card_text,
    comment_via_modal,
    custom_id,
    dms,
    new_comment,
    original,
)
from tests.support.discord_harness import Harness, OpenCore, StartHarness, User
from tests.support.discord_users import ID_MODERATOR, MODERATOR, NOT_A_MODERATOR, OTHER, READER
from tests.support.settings import discord_settings


async def test_approve_edits_card_dms_author_and_publishes(
    bot: Harness, fake: FakeDiscord
) -> None:
    comment = await new_comment(bot, fake, READER, "Approve me please")
    card = card_of(fake, comment)
    assert set(buttons(card).values()) == {custom_id(Moderate(move, comment)) for move in Move}

    pressed = await bot.send(
        bot.press(card, custom_id(Moderate(Move.APPROVE, comment)), MODERATOR)
    )
    assert pressed.first.body == {"type": 6}
    decided = fake.messages[card["id"]]
    assert "Approved by Role Mod" in card_text(decided)
    # The decided card offers the other decisions, each naming the status seen.
    assert buttons(decided) == {
        "❌ Reject": custom_id(Moderate(Move.REJECT, comment, Seen.APPROVED)),
        "🗑 Spam": custom_id(Moderate(Move.SPAM, comment, Seen.APPROVED)),
    }
    [dm] = dms(fake, pressed, READER)
    assert "approved" in dm.body["content"]

    public = await bot.send(bot.slash("comments", OTHER))
    assert "Approve me please" in public.texts()
    mine = await bot.send(bot.slash("mycomments", READER))
    assert "approved" in mine.texts()


async def test_decisions_change_from_the_card_and_by_command(
    bot: Harness, fake: FakeDiscord
) -> None:
    comment = await new_comment(bot, fake, READER, "Approved, then not")
    card = card_of(fake, comment)  # the stored message: edits change it in place
    await bot.send(bot.press(card, custom_id(Moderate(Move.APPROVE, comment)), MODERATOR))

    # Unpublished from the decided card, with a reason: the card follows, the author is told.
    opened = await bot.send(
        bot.press(card, custom_id(Moderate(Move.REJECT, comment, Seen.APPROVED)), ID_MODERATOR)
    )
    reason = {"Reason (optional)": "Libel"}
    rejected = await bot.send(bot.submit(bot.modal_of(opened), reason, ID_MODERATOR, message=card))
    assert "Rejected by Id Mod: Libel" in card_text(card)
    assert buttons(card) == {
        "✅ Approve": custom_id(Moderate(Move.APPROVE, comment, Seen.REJECTED)),
        "🗑 Spam": custom_id(Moderate(Move.SPAM, comment, Seen.REJECTED)),
    }
    [dm] = dms(fake, rejected, READER)
    assert "no longer public" in dm.body["content"] and "Libel" in dm.body["content"]
    assert "Approved, then not" not in (await bot.send(bot.slash("comments", OTHER))).texts()

    # Rejected to spam is nothing new for the author: the card changes, no DM.
    seen_rejected = copy.deepcopy(card)
    spam = await bot.send(
        bot.press(card, custom_id(Moderate(Move.SPAM, comment, Seen.REJECTED)), MODERATOR)
    )
    assert "Marked as spam by Role Mod" in card_text(card)
    assert dms(fake, spam, READER) == []

    # A press on the card as it was changes nothing and says what the comment is now.
    stale = await bot.send(
        bot.press(
            seen_rejected, custom_id(Moderate(Move.APPROVE, comment, Seen.REJECTED)), ID_MODERATOR
        )
    )
    followup = stale.requests[-1]
    assert followup.body["flags"] == EPHEMERAL
    assert f"Comment #{comment} is now marked as spam by Role Mod" in followup.body["content"]
    assert "Marked as spam by Role Mod" in card_text(card)

    # A command on a decided comment answers with its state and a button to change it.
    asked = await bot.send(bot.slash("approve", ID_MODERATOR, comment=comment))
    assert "was already marked as spam by Role Mod" in asked.texts()
    answer = original(fake, asked)
    assert buttons(answer) == {
        f"✅ Approve #{comment}": custom_id(Moderate(Move.APPROVE, comment, Seen.SPAM))
    }
    approved = await bot.send(
        bot.press(answer, custom_id(Moderate(Move.APPROVE, comment, Seen.SPAM)), ID_MODERATOR)
    )
    assert "Approved by Id Mod" in card_text(answer) and "Approved by Id Mod" in card_text(card)
    [dm] = dms(fake, approved, READER)
    assert "was approved" in dm.body["content"]
    assert "Approved, then not" in (await bot.send(bot.slash("comments", OTHER))).texts()


async def test_reject_asks_for_a_reason_in_a_modal(bot: Harness, fake: FakeDiscord) -> None:
    comment = await new_comment(bot, fake, READER, "Reject me")
    card = card_of(fake, comment)
    pressed = await bot.send(bot.press(card, custom_id(Moderate(Move.REJECT, comment)), MODERATOR))
    modal = bot.modal_of(pressed)
    assert modal["title"] == "Reject comment"

    reason = {"Reason (optional)": "Off topic"}
    submitted = await bot.send(bot.submit(modal, reason, MODERATOR, message=card))
    assert submitted.first.body == {"type": 6}
    decided = fake.messages[card["id"]]
    assert "Rejected by Role Mod: Off topic" in card_text(decided)
    [dm] = dms(fake, submitted, READER)
    assert "Off topic" in dm.body["content"]
    followups = [r for r in submitted.requests if r.method == "POST" and "/webhooks/" in r.path]
    assert followups == []  # the card was edited in place, not copied


async def test_reject_without_a_reason(bot: Harness, fake: FakeDiscord) -> None:
    comment = await new_comment(bot, fake, READER, "Reject me quietly")
    card = card_of(fake, comment)
    modal = bot.modal_of(
        await bot.send(bot.press(card, custom_id(Moderate(Move.REJECT, comment)), MODERATOR))
    )
    await bot.send(bot.submit(modal, {"Reason (optional)": ""}, MODERATOR, message=card))
    assert "Rejected by Role Mod" in card_text(fake.messages[card["id"]])


async def test_spam_and_ban_buttons(bot: Harness, fake: FakeDiscord) -> None:
    spam = await new_comment(bot, fake, READER, "Buy cheap stuff")
    card = card_of(fake, spam)
    await bot.send(bot.press(card, custom_id(Moderate(Move.SPAM, spam)), MODERATOR))
    assert "Marked as spam by Role Mod" in card_text(fake.messages[card["id"]])

    banned = await new_comment(bot, fake, OTHER, "Troll troll")
    card = card_of(fake, banned)
    await bot.send(bot.press(card, custom_id(Moderate(Move.BAN, banned)), MODERATOR))
    assert "author banned" in card_text(fake.messages[card["id"]])
    again = await comment_via_modal(bot, OTHER, "Let me back in")
    assert "waiting for a moderator" not in again.texts()


async def test_moderator_by_user_id_may_decide(bot: Harness, fake: FakeDiscord) -> None:
    comment = await new_comment(bot, fake, READER, "Decided by id")
    await bot.send(
        bot.press(card_of(fake, comment), custom_id(Moderate(Move.APPROVE, comment)), ID_MODERATOR)
    )
    assert "Approved by Id Mod" in card_text(fake.messages[card_of(fake, comment)["id"]])


async def test_forged_presses_by_non_moderators_are_refused(
    bot: Harness, fake: FakeDiscord
) -> None:
    comment = await new_comment(bot, fake, READER, "Still pending")
    card = card_of(fake, comment)
    for move in Move:
        pressed = await bot.send(
            bot.press(card, custom_id(Moderate(move, comment)), NOT_A_MODERATOR)
        )
        # Told at once and privately, as the answer to the press itself: not a silent
        # deferred update, and no reason form for the reject button.
        [answer] = pressed.requests
        assert answer.path.endswith("/callback")
        assert answer.body["type"] == 4, answer.body
        assert answer.body["data"]["flags"] == EPHEMERAL
        assert "Only moderators" in answer.body["data"]["content"]
    assert buttons(fake.messages[card["id"]])  # untouched, still pending
    assert not [r for r in fake.requests if r.method == "PATCH" and r.path.startswith(CARDS)]

    refused = await bot.send(bot.slash("approve", NOT_A_MODERATOR, comment=comment))
    assert "moderators only" in refused.texts()
    mine = await bot.send(bot.slash("mycomments", READER))
    assert "waiting for a moderator" in mine.texts()


async def test_forged_presses_on_a_decided_card_are_refused(
    bot: Harness, fake: FakeDiscord
) -> None:
    comment = await new_comment(bot, fake, READER, "Approved for good")
    card = card_of(fake, comment)
    await bot.send(bot.press(card, custom_id(Moderate(Move.APPROVE, comment)), MODERATOR))
    for cid in buttons(card).values():  # Reject (a form for moderators) and Spam
        [answer] = (await bot.send(bot.press(card, cid, NOT_A_MODERATOR))).requests
        assert answer.body["type"] == 4 and answer.body["data"]["flags"] == EPHEMERAL
        assert "Only moderators" in answer.body["data"]["content"]
    assert "Approved by Role Mod" in card_text(card)


async def test_late_press_is_told_who_decided(bot: Harness, fake: FakeDiscord) -> None:
    comment = await new_comment(bot, fake, READER, "Two moderators")
    card = card_of(fake, comment)
    seen_by_second = copy.deepcopy(card)  # both moderators saw the buttons
    await bot.send(bot.press(card, custom_id(Moderate(Move.APPROVE, comment)), MODERATOR))
    late = await bot.send(
        bot.press(seen_by_second, custom_id(Moderate(Move.SPAM, comment)), ID_MODERATOR)
    )
    followup = late.requests[-1]
    assert followup.body["flags"] == EPHEMERAL
    assert "already approved by Role Mod" in followup.body["content"]


@pytest.mark.parametrize("move", list(Move))
async def test_buttons_work_after_a_restart(
    move: Move, open_core: OpenCore, start: StartHarness, fake: FakeDiscord
) -> None:
    first = await start(await open_core())
    comment = await new_comment(first, fake, READER, "Survives restarts")
    card = card_of(fake, comment)
    await first.close()

    second = await start(await open_core())  # a new process: new Core, new client, same store
    pressed = await second.send(second.press(card, custom_id(Moderate(move, comment)), MODERATOR))
    if move is Move.REJECT:
        modal = second.modal_of(pressed)
        reason = {"Reason (optional)": "after restart"}
        pressed = await second.send(second.submit(modal, reason, MODERATOR, message=card))
    assert pressed.first.body == {"type": 6}
    shown = card_text(fake.messages[card["id"]])
    assert "by Role Mod" in shown
    assert len(dms(fake, pressed, READER)) == 1


async def test_moderator_slash_commands(bot: Harness, fake: FakeDiscord, clock: Clock) -> None:
    one = await new_comment(bot, fake, READER, "First in queue")
    two = await new_comment(bot, fake, OTHER, "Second in queue")

    pending = await bot.send(bot.slash("pending", MODERATOR))
    assert pending.first.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert "First in queue" in pending.texts() and "Second in queue" in pending.texts()

    approved = await bot.send(bot.slash("approve", MODERATOR, comment=one))
    assert "Approved by Role Mod" in approved.texts()
    assert "Approved by Role Mod" in card_text(fake.messages[card_of(fake, one)["id"]])

    rejected = await bot.send(bot.slash("reject", MODERATOR, comment=two, reason="Too short"))
    assert "Too short" in rejected.texts()

    clock.advance(60)  # past the flood interval
    three = await new_comment(bot, fake, READER, "Spammy spam")
    await bot.send(bot.slash("spam", MODERATOR, comment=three))
    assert "spam" in card_text(fake.messages[card_of(fake, three)["id"]]).lower()

    banned = await bot.send(bot.slash("ban", MODERATOR, author=f"#{two}", until="7d"))
    assert f"discord:{OTHER.id} may not comment until" in banned.texts()
    unbanned = await bot.send(bot.slash("unban", MODERATOR, author=f"discord:{OTHER.id}"))
    assert "may comment again" in unbanned.texts()

    await bot.send(bot.slash("faq", READER, question="zebra crossing rules"))
    unanswered = await bot.send(bot.slash("unanswered", MODERATOR))
    assert "zebra crossing rules" in unanswered.texts()

    export = await bot.send(bot.slash("export", MODERATOR))
    edit = export.requests[-1]
    assert edit.method == "PATCH"
    assert sorted(f.rsplit(".", 1)[1] for f in edit.files) == ["csv", "json"]


async def test_comments_from_other_platforms_reach_discord_moderators(
    bot: Harness, core: Core, fake: FakeDiscord
) -> None:
    telegram = Request(Actor("telegram", "501", "Ada Reader"), event_key="telegram:update:1")
    await core.submit_comment(telegram, "Sent from Telegram")
    await core.events.drain()
    assert len(card_posts(fake)) == 1
    card = card_of(fake, 1)
    assert "Sent from Telegram" in card_text(card)

    pressed = await bot.send(bot.press(card, custom_id(Moderate(Move.APPROVE, 1)), MODERATOR))
    assert "Approved by Role Mod" in card_text(fake.messages[card["id"]])
    assert not any("/users/@me/channels" in r.path for r in pressed.all_requests)  # no DM


async def test_decisions_made_elsewhere_update_the_card_and_dm(
    bot: Harness, core: Core, fake: FakeDiscord
) -> None:
    comment = await new_comment(bot, fake, READER, "Decided on the console")
    operator = Request(Actor("console", "operator", "Operator"), event_key="console:1")
    await core.execute(operator, "approve", str(comment))
    await core.events.drain()
    assert "Approved by Operator" in card_text(fake.messages[card_of(fake, comment)["id"]])
    assert any(u == str(READER.id) for u in fake.dm_channels.values())


async def test_closed_dms_are_recorded_and_mycomments_still_shows_the_outcome(
    bot: Harness, fake: FakeDiscord
) -> None:
    fake.closed_dms.add(str(READER.id))
    comment = await new_comment(bot, fake, READER, "Nobody can DM me")
    pressed = await bot.send(
        bot.press(card_of(fake, comment), custom_id(Moderate(Move.APPROVE, comment)), MODERATOR)
    )
    [refused] = dms(fake, pressed, READER)
    assert refused.status == 403
    mine = await bot.send(bot.slash("mycomments", READER))
    assert "approved" in mine.texts()
    assert "could not message you" in mine.texts()


async def test_a_rate_limited_card_post_is_retried(bot: Harness, fake: FakeDiscord) -> None:
    fake.rate_limits[rf"^{CARDS}$"] = 1
    await new_comment(bot, fake, READER, "Posted after a 429")
    statuses = [r.status for r in fake.requests if r.method == "POST" and r.path == CARDS]
    assert statuses == [429, 200]


async def test_a_long_queue_is_split_over_messages_within_limits(
    bot: Harness, fake: FakeDiscord
) -> None:
    users = [User(300 + n, f"Long Writer {n}") for n in range(5)]
    for n, user in enumerate(users):
        await new_comment(bot, fake, user, f"{n}:" + "word " * 390)
    pending = await bot.send(bot.slash("pending", MODERATOR))
    sent = [r for r in pending.requests if not r.path.endswith("/callback")]
    assert len(sent) > 1  # edit of the placeholder, then follow-ups
    assert all(r.body.get("flags", EPHEMERAL) & EPHEMERAL for r in sent[1:])
    assert all(f"{n}:word" in pending.texts() for n in range(5))
    with_buttons = [r for r in sent if r.body.get("components")]
    assert len(with_buttons) == 1  # the buttons come once, with the last message


async def test_without_a_moderation_channel_comments_still_queue(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord
) -> None:
    bot = await start(await open_core(), settings=discord_settings(moderation_channel_id=None))
    submitted = await comment_via_modal(bot, READER, "Nobody posts a card")
    assert "waiting for a moderator" in submitted.texts()
    assert not [r for r in fake.requests if r.path.startswith("/channels/")]
    pending = await bot.send(bot.slash("pending", MODERATOR))
    assert "Nobody posts a card" in pending.texts()
