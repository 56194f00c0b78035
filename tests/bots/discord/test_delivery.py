"""Across a crash: a reply stored but never sent goes out once; cards never posted are posted.

The crashed process is a Core that stored the effect with no client to answer: the next
process gets the same interaction (Discord accepts its acknowledgement, since nobody answered)
and must send the stored reply, then confirm it so a third delivery sends nothing new.
"""

from __future__ import annotations

import copy
from typing import Any

from core.actions import Moderate, Move
from core.actors import Actor, Request
from core.app import Core
from core.store.tables import ProcessedEvent
from tests.support.clock import Clock
from tests.support.discord_api import MOD_CHANNEL_ID, FakeDiscord
from tests.support.discord_flows import (
    buttons,
    card_of,
    card_posts,
    card_text,
    comment_via_modal,
    new_comment,
    original,
)
from tests.support.discord_harness import Harness, OpenCore, StartHarness, User
from tests.support.discord_users import MODERATOR, OTHER, READER
from tests.support.settings import discord_settings


def request_for(payload: dict[str, Any], user: User) -> Request:
    """The request the adapter builds for `payload` (same event key, same actor)."""
    actor = Actor(
        platform="discord",
        user_id=str(user.id),
        display_name=user.name,
        role_ids=frozenset(str(role) for role in user.roles),
    )
    return Request(
        actor=actor,
        chat_id=payload["channel_id"],
        event_key=f"discord:interaction:{payload['id']}",
        is_private_chat="guild_id" not in payload,
    )


def edits(requests: list[Any]) -> list[Any]:
    return [r for r in requests if r.method == "PATCH"]


async def confirmed(core: Core, payload: dict[str, Any], user: User, action: str) -> bool:
    """Whether the store says the reply to `payload` went out (a replay needs no resend)."""
    outcome = await core.press(request_for(payload, user), action)
    assert outcome.replayed
    return not outcome.redeliver


async def test_a_press_whose_answer_died_with_the_process_is_answered_once(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord
) -> None:
    first = await start(await open_core())
    comment = await new_comment(first, fake, READER, "Approved as the power failed")
    card = card_of(fake, comment)
    await first.close()
    action = Moderate(Move.APPROVE, comment).pack()
    press = first.press(copy.deepcopy(card), f"nb:{action}", MODERATOR)
    crashed = await open_core()
    decided = await crashed.press(request_for(press, MODERATOR), action)
    assert decided.confirm_key is not None
    assert "Approved by Role Mod" not in card_text(fake.messages[card["id"]])
    fake.reject_duplicate_acks = False  # nobody answered: Discord takes the acknowledgement

    second = await start(await open_core())
    answered = await second.send(press)
    assert answered.first.body == {"type": 6}
    assert len(edits(answered.requests)) == 1
    assert "by Role Mod" in card_text(fake.messages[card["id"]])
    assert await confirmed(await open_core(), press, MODERATOR, action)

    third = await start(await open_core())
    again = await third.send(press)
    assert [r.path.rsplit("/", 1)[-1] for r in again.all_requests] == ["callback"]


async def test_a_command_whose_answer_died_with_the_process_is_answered(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord
) -> None:
    first = await start(await open_core())
    comment = await new_comment(first, fake, READER, "Approved by command, then a crash")
    await first.close()
    command = first.slash("approve", MODERATOR, comment=comment)
    crashed = await open_core()
    decided = await crashed.execute(request_for(command, MODERATOR), "approve", str(comment))
    assert decided.confirm_key is not None
    fake.reject_duplicate_acks = False

    second = await start(await open_core())
    answered = await second.send(command)
    assert [r.method for r in answered.requests] == ["POST", "PATCH"]  # ack, then the answer
    assert f"#{comment}" in answered.texts()
    later = await open_core()
    replay = await later.execute(request_for(command, MODERATOR), "approve", str(comment))
    assert replay.replayed and not replay.redeliver


async def test_cards_missed_while_down_are_posted_at_start_up(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord
) -> None:
    core = await open_core()
    for n in range(3):  # every platform's comments come here
        author = Actor("telegram", f"7{n}", f"Remote Author {n}")
        stored = await core.submit_comment(
            Request(author, author.user_id, f"telegram:update:{n}"), f"Missed {n}"
        )
        assert "waiting for a moderator" in stored.reply.text
    bot = await start(core)
    assert bot.client.catching_up is not None
    assert (await bot.client.catching_up).cards == 3
    titles = [r.body["embeds"][0]["description"] for r in card_posts(fake)]
    assert [n for t in titles for n in range(3) if f"Missed {n}" in t] == [0, 1, 2]
    assert all(r.path == f"/channels/{MOD_CHANNEL_ID}/messages" for r in card_posts(fake))
    await bot.close()

    again = await start(await open_core())
    assert again.client.catching_up is not None
    assert (await again.client.catching_up).cards == 0
    assert len(card_posts(fake)) == 3


async def test_no_catch_up_without_a_moderation_channel(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord
) -> None:
    core = await open_core()
    author = Actor("telegram", "78", "Remote Author")
    await core.submit_comment(Request(author, "78", "telegram:update:1"), "Nobody to show")
    bot = await start(core, settings=discord_settings(moderation_channel_id=None))
    assert bot.client.catching_up is not None
    assert (await bot.client.catching_up).cards == 0
    assert card_posts(fake) == []


async def test_authors_never_told_of_a_decision_are_told_at_start_up(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord, clock: Clock
) -> None:
    first = await start(await open_core())
    comment = await new_comment(first, fake, READER, "Decided as the power failed")
    await first.close()
    crashed = await open_core()  # decides, then dies before its event reaches any client
    moderator = Actor("discord", str(MODERATOR.id), MODERATOR.name, frozenset({"777"}))
    await crashed.execute(Request(moderator, "chan", "discord:interaction:77"), "approve",
                          str(comment))  # fmt: skip

    def told() -> list[Any]:
        channels = [c for c, u in fake.dm_channels.items() if u == str(READER.id)]
        return [r for r in fake.requests if r.method == "POST" and any(
            r.path == f"/channels/{c}/messages" for c in channels)]  # fmt: skip

    assert told() == []
    clock.advance(1)
    second = await start(await open_core())
    assert second.client.catching_up is not None
    assert (await second.client.catching_up).notices == 1
    [notice] = told()
    assert "approved" in notice.body["content"]
    await second.close()
    third = await start(await open_core())
    assert third.client.catching_up is not None
    assert (await third.client.catching_up).notices == 0
    assert len(told()) == 1


async def delivered_at(core: Core, payload: dict[str, Any]) -> object:
    key = f"discord:interaction:{payload['id']}"
    row = await core.database.read(lambda session: session.get(ProcessedEvent, key))
    assert row is not None, "the submission stored no event key"
    return row.delivered_at


async def test_comment_forms_confirm_their_reply_delivered(
    bot: Harness, core: Core, fake: FakeDiscord
) -> None:
    # Unconfirmed, a re-delivered submission would be answered a second time.
    submitted = await comment_via_modal(bot, READER, "Sent from the slash form")
    assert "waiting for a moderator" in submitted.texts()
    assert await delivered_at(core, submitted.payload) is not None

    listed = original(fake, await bot.send(bot.slash("comments", OTHER)))
    opened = await bot.send(bot.press(listed, buttons(listed)["✍️ Comment"], OTHER))
    values = {"Your comment": "Sent from the button's form"}
    typed = await bot.send(bot.submit(bot.modal_of(opened), values, OTHER, message=listed))
    assert "waiting for a moderator" in typed.texts()
    assert await delivered_at(core, typed.payload) is not None
