"""/publish on the real PTB stack against the fake Bot API: a channel and a group as announce
targets, deep links into the private chat, and the count after approvals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest

from bots.telegram.run import TelegramAdapter
from core.app import Core
from tests.support.settings import telegram_settings
from tests.support.telegram_api import BOT_USERNAME, Call, FakeBotApi
from tests.support.telegram_chat import Conversation, buttons, fast_limiter, sent, text_of
from tests.support.telegram_html import visible_text
from tests.support.telegram_users import MOD, MOD_ID, READER

CHANNEL, CHANNEL_ID, GROUP_ID = "@newsroom_news", -1001234, -1005678


@pytest.fixture
async def publishing(api: FakeBotApi, tg_core: Core) -> AsyncIterator[TelegramAdapter]:
    api.channels[CHANNEL] = CHANNEL_ID
    settings = telegram_settings(api.root, announce_chat_ids=(CHANNEL, str(GROUP_ID)))
    tg_core.relay.announcer.pace = 0
    bot = TelegramAdapter(tg_core, settings, poll_timeout=1, limiter=fast_limiter())
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def cards(api: FakeBotApi) -> list[Call]:
    return [c for c in api.sent() if c.params.get("chat_id") in (CHANNEL, GROUP_ID)]


def payload(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"https://t.me/{BOT_USERNAME}"
    [start] = parse_qs(parts.query)["start"]
    return start


async def publish(api: FakeBotApi, core: Core, args: str = "stargate") -> list[Call]:
    calls = await Conversation(api).say(MOD, f"/publish {args}")
    await core.events.drain()
    await api.idle(0.2)
    return calls


async def test_publish_posts_to_a_channel_and_a_group_with_deep_links(
    api: FakeBotApi, tg_core: Core, publishing: TelegramAdapter
) -> None:
    answer = await publish(api, tg_core)
    assert "Publishing /stargate" in text_of(sent(answer))
    posted = cards(api)
    assert [c.params["chat_id"] for c in posted] == [CHANNEL, GROUP_ID]
    card = posted[0]
    assert tg_core.library.default_article.title in visible_text(card.params["text"])
    links = {label: payload(url) for label, url in buttons(card).items()}
    assert links == {
        "📰 Read the summary": "stargate",
        "❓ FAQ": "faq_stargate",
        "💬 Comments (0)": "comments_stargate",
        "✍️ Comment": "comment_stargate",
    }
    report = "\n".join(api.texts(MOD_ID))
    assert f"✅ Telegram {CHANNEL}: posted" in report
    assert f"✅ Telegram {GROUP_ID}: posted" in report

    again = await publish(api, tg_core)
    assert "was published on" in text_of(sent(again))
    assert len(cards(api)) == 2  # not posted twice


async def test_deep_links_open_the_right_thing_in_a_private_chat(
    api: FakeBotApi, tg_core: Core, publishing: TelegramAdapter
) -> None:
    chat = Conversation(api)
    summary = text_of(sent(await chat.say(READER, "/start stargate")))
    assert "In this article:" in summary
    faq = sent(await chat.say(READER, "/start faq_stargate"))
    assert "What is Stargate’s primary objective?" in buttons(faq[-1])
    comments = text_of(sent(await chat.say(READER, "/start comments_stargate")))
    assert "No comments on “OpenAI’s Stargate" in comments
    prompt = sent(await chat.say(READER, "/start comment_stargate"))
    assert "Send your comment on “OpenAI’s Stargate" in text_of(prompt)
    assert prompt[-1].params["reply_markup"].get("force_reply") is True
    preview = sent(await chat.say(READER, "Deep links make commenting easy"))
    assert "Deep links make commenting easy" in text_of(preview)
    assert "✅ Send" in buttons(preview[-1])


async def test_a_chat_the_bot_cannot_post_to_is_named_with_telegrams_reason(
    api: FakeBotApi, tg_core: Core, publishing: TelegramAdapter
) -> None:
    api.not_member.add(CHANNEL_ID)
    await publish(api, tg_core)
    assert [c.params["chat_id"] for c in cards(api) if c.ok] == [GROUP_ID]
    report = "\n".join(api.texts(MOD_ID))
    assert f"❌ Telegram {CHANNEL}: Forbidden: bot is not a member of the channel chat" in report


async def test_the_count_follows_approvals(
    api: FakeBotApi, tg_core: Core, publishing: TelegramAdapter
) -> None:
    await publish(api, tg_core)
    chat = Conversation(api)
    for n in range(3):
        preview = sent(await chat.say(READER, f"/comment Count me in, number {n}"))
        await chat.press(READER, preview[-1].result, buttons(preview[-1])["✅ Send"])
    for comment_id in (1, 2, 3):
        await chat.say(MOD, f"/approve {comment_id}")
    await tg_core.events.drain()
    await tg_core.relay.announcer.drain()
    await api.idle(0.2)
    for chat_id in (CHANNEL_ID, GROUP_ID):
        card = api.messages[(chat_id, 1)]
        labels = [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
        assert "💬 Comments (3)" in labels, labels
