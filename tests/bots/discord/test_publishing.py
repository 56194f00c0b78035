"""/publish on the real discord.py stack against the fake Discord: an announcement channel's
card is crossposted, its buttons answer the presser alone, its count follows approvals."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from core.actions import CommentsPage, ShowSummary
from core.app import Core
from core.store.tables import Announcement
from tests.support.clock import Clock
from tests.support.discord_api import FakeDiscord
from tests.support.discord_flows import action_of, buttons, custom_id, dms, new_comment
from tests.support.discord_harness import Harness, StartHarness
from tests.support.discord_users import MODERATOR, READER
from tests.support.settings import discord_settings

NEWS = "900000000000000777"
REFUSING = "900000000000000888"
EPHEMERAL = 1 << 6


async def publishing_bot(start: StartHarness, core: Core, *channels: str) -> Harness:
    core.relay.announcer.pace = 0
    bot = await start(core, settings=discord_settings(announce_channel_ids=channels))
    # Its start-up catch-up done, so no test races it for a round's claim.
    if bot.client.catching_up is not None:
        await bot.client.catching_up
    return bot


def cards_in(fake: FakeDiscord, channel: str) -> list[dict[str, Any]]:
    return [m for m in fake.messages.values() if m["channel_id"] == channel]


async def test_publish_posts_and_crossposts_in_an_announcement_channel(
    fake: FakeDiscord, core: Core, start: StartHarness
) -> None:
    fake.news_channels.add(NEWS)
    bot = await publishing_bot(start, core, NEWS)
    result = await bot.send(bot.slash("publish", MODERATOR, article="stargate"))
    assert "Publishing /stargate" in result.texts()
    [card] = cards_in(fake, NEWS)
    assert fake.crossposted == [card["id"]]
    assert core.library.default_article.title in str(card["embeds"] or card["content"])
    labels = buttons(card)
    assert action_of(labels["📰 Read the summary"]) == ShowSummary("stargate")
    assert action_of(labels["💬 Comments (0)"]) == CommentsPage("stargate", 1)
    assert "✍️ Comment" in labels
    report = " ".join(str(r.body) for r in dms(fake, result, MODERATOR))
    assert f"✅ Discord {NEWS}: posted" in report

    again = await bot.send(bot.slash("publish", MODERATOR, article="stargate"))
    assert "was published on" in again.texts()
    assert len(cards_in(fake, NEWS)) == 1


async def test_a_press_on_the_card_answers_the_reader_alone_and_leaves_the_card(
    fake: FakeDiscord, core: Core, start: StartHarness
) -> None:
    bot = await publishing_bot(start, core, NEWS)
    await bot.send(bot.slash("publish", MODERATOR, article="stargate"))
    [card] = cards_in(fake, NEWS)
    before = dict(card)
    pressed = await bot.send(bot.press(card, custom_id(ShowSummary("stargate")), READER))
    callback = pressed.callback()
    assert callback["type"] == 5 and callback["data"]["flags"] & EPHEMERAL  # thinking, private
    assert "In this article:" in pressed.texts()
    assert fake.messages[card["id"]] == before  # the channel's card is not replaced
    comment = await bot.send(bot.press(card, buttons(card)["✍️ Comment"], READER))
    assert bot.modal_of(comment)["title"]  # the comment form opens


async def test_a_channel_that_refuses_is_named_and_the_others_are_posted(
    fake: FakeDiscord, core: Core, start: StartHarness
) -> None:
    fake.forbidden_channels.add(REFUSING)
    bot = await publishing_bot(start, core, REFUSING, NEWS)
    result = await bot.send(bot.slash("publish", MODERATOR, article="stargate"))
    assert len(cards_in(fake, NEWS)) == 1
    report = " ".join(str(r.body) for r in dms(fake, result, MODERATOR))
    assert f"❌ Discord {REFUSING}: 50013 Missing Permissions" in report


async def test_the_count_follows_approvals(
    fake: FakeDiscord, core: Core, start: StartHarness, clock: Clock
) -> None:
    bot = await publishing_bot(start, core, NEWS)
    await bot.send(bot.slash("publish", MODERATOR, article="stargate"))
    ids = []
    for n in range(2):
        ids.append(await new_comment(bot, fake, READER, f"Counted comment {n}"))
        clock.advance(60)  # past the flood interval
    for comment_id in ids:
        await bot.send(bot.slash("approve", MODERATOR, comment=comment_id))
    await core.events.drain()
    await core.relay.announcer.drain()
    [card] = cards_in(fake, NEWS)
    assert "💬 Comments (2)" in buttons(card)


async def test_a_card_a_dead_process_sent_is_sent_again_with_its_nonce_and_shown_once(
    fake: FakeDiscord, core: Core, start: StartHarness
) -> None:
    bot = await publishing_bot(start, core, NEWS)
    await bot.send(bot.slash("publish", MODERATOR, article="stargate"))
    [card] = cards_in(fake, NEWS)
    # As a process killed between Discord's answer and the store's commit leaves it.
    await core.database.write(
        lambda session: session.execute(
            update(Announcement).values(message_id=None, chat_id=None, posted_at=None)
        )
    )
    caught = await core.relay.catch_up(bot.client.platform)
    assert caught.announced == 1
    assert cards_in(fake, NEWS) == [card]  # Discord knew the nonce: the same message
    posts = [
        r for r in fake.requests if r.method == "POST" and r.path.endswith(f"{NEWS}/messages")
    ]
    assert len(posts) == 2 and posts[0].body["nonce"] == posts[1].body["nonce"]
    assert all(r.body["enforce_nonce"] for r in posts)
    ids = await core.database.read(
        lambda session: list(session.scalars(select(Announcement.message_id)))
    )
    assert ids == [card["id"]]  # tracked again: its count will follow
