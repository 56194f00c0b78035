"""Readers end to end: /start, /help, the article with section navigation, /faq, /links."""

from __future__ import annotations

import pytest

from bots.telegram.run import TelegramAdapter
from core.actions import Action, ShowSection, ShowSummary
from core.app import Core
from tests.support.settings import NO_FLOOD, make_settings, telegram_settings
from tests.support.telegram_api import FakeBotApi
from tests.support.telegram_chat import (
    Conversation,
    buttons,
    fast_limiter,
    message_of,
    sent,
    text_of,
)
from tests.support.telegram_users import MOD, MOD_ID, READER, READER_ID


async def test_start_welcomes_with_buttons(chat: Conversation) -> None:
    calls = await chat.say(READER, "/start")
    [welcome] = sent(calls)
    assert welcome.params["chat_id"] == READER_ID
    assert welcome.params["parse_mode"] == "HTML"
    assert "Welcome!" in welcome.params["text"]
    assert ShowSummary("stargate").pack() in buttons(welcome).values()


async def test_start_deep_links_open_faq_and_article(chat: Conversation) -> None:
    answer = text_of(await chat.say(READER, "/start faq_investment"))
    assert "$500 billion" in answer
    summary = sent(await chat.say(READER, "/start stargate"))[-1]
    assert ShowSection("stargate", 2).pack() in buttons(summary).values()


async def test_help_differs_for_readers_and_moderators(chat: Conversation) -> None:
    reader_help = text_of(await chat.say(READER, "/help"))
    moderator_help = text_of(await chat.say(MOD, "/help"))
    assert "/stargate" in reader_help and "/approve" not in reader_help
    assert "For moderators" in moderator_help and "/approve" in moderator_help


async def test_article_sections_navigate_by_editing(chat: Conversation, api: FakeBotApi) -> None:
    [summary] = sent(await chat.say(READER, "/stargate"))
    assert "In this article" in summary.params["text"]
    message = message_of(summary)
    calls = await chat.press(READER, message, ShowSection("stargate", 2).pack())
    [edit] = sent(calls, "editMessageText")
    assert edit.params["message_id"] == message["message_id"]
    assert "Key Highlights" in edit.params["text"]
    assert not sent(calls)  # navigation edits, it does not add messages
    nav = buttons(edit)
    calls = await chat.press(READER, message, nav["Next ▶"])
    assert "Rift" in sent(calls, "editMessageText")[0].params["text"]
    calls = await chat.press(READER, message, nav["📰 Summary"])
    assert "In this article" in sent(calls, "editMessageText")[0].params["text"]


async def test_article_section_by_number(chat: Conversation) -> None:
    assert "Key Highlights" in text_of(await chat.say(READER, "/stargate 2"))


async def test_faq_list_and_question_buttons(chat: Conversation) -> None:
    [listing] = sent(await chat.say(READER, "/faq"))
    questions = buttons(listing)
    data = questions["How much will be invested in Stargate?"]
    calls = await chat.press(READER, message_of(listing), data)
    assert "$500 billion" in text_of(sent(calls) + sent(calls, "editMessageText"))


async def test_faq_text_answers_or_offers_did_you_mean(chat: Conversation) -> None:
    assert "$500 billion" in text_of(await chat.say(READER, "/faq how much money"))
    [unsure] = sent(await chat.say(READER, "/faq microsoft"))
    assert "Did you mean" in unsure.params["text"]
    choices = buttons(unsure)
    assert "What does Stargate mean for Microsoft’s Azure?" in choices
    calls = await chat.press(
        READER, message_of(unsure), choices["What does Stargate mean for Microsoft’s Azure?"]
    )
    assert "Azure cloud platform" in text_of(sent(calls) + sent(calls, "editMessageText"))


async def test_free_text_in_private_chat_is_a_question(chat: Conversation) -> None:
    assert "$500 billion" in text_of(await chat.say(READER, "how much money"))


async def test_unknown_command_gets_a_friendly_error(chat: Conversation) -> None:
    assert "I don't know the command /nonsense" in text_of(await chat.say(READER, "/nonsense"))


async def test_command_for_another_bot_is_ignored(chat: Conversation, api: FakeBotApi) -> None:
    api.message(READER, "/help@some_other_bot")
    assert "What I can do" in text_of(await chat.say(READER, "/help@newsroom_test_bot"))
    assert len(api.sent(chat_id=READER_ID)) == 1


async def test_command_menus_are_scoped(api: FakeBotApi, chat: Conversation) -> None:
    default = api.commands['{"type": "default"}']
    moderator = api.commands[f'{{"chat_id": {MOD_ID}, "type": "chat"}}']
    names = {c["command"] for c in default}
    assert {"start", "help", "stargate", "faq", "comment"} <= names
    assert "approve" not in names
    assert {"approve", "pending", "export"} <= {c["command"] for c in moderator}


async def test_links_are_url_buttons(
    api: FakeBotApi, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANNEL_WEBSITE_URL", "https://news.example/")
    core = await Core.open(make_settings(sqlite_url, comment_rules=NO_FLOOD))
    bot = TelegramAdapter(
        core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await bot.start()
    try:
        [links] = sent(await Conversation(api).say(READER, "/links"))
    finally:
        await bot.stop()
        await core.close()
    assert "https://news.example/" in buttons(links).values()


async def test_buttons_on_inline_messages_edit_them(chat: Conversation, api: FakeBotApi) -> None:
    api.inline(READER, "stargate")
    answer = await api.wait_for(lambda c: c.method == "answerInlineQuery")
    summary = next(r for r in answer.params["results"] if "Stargate Announcement" in r["title"])
    data = next(
        b["callback_data"]
        for row in summary["reply_markup"]["inline_keyboard"]
        for b in row
        if isinstance(Action.parse(b.get("callback_data", "")), ShowSection)
    )
    mark = len(api.calls)
    api.inline_press(READER, "inline-msg-1", data)
    edit = await api.wait_for(lambda c: c.method == "editMessageText", after=mark)
    assert edit.params["inline_message_id"] == "inline-msg-1"
    await api.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)


async def test_a_moderator_who_starts_the_bot_gets_the_full_menu(
    api: FakeBotApi, chat: Conversation
) -> None:
    scope = f'{{"chat_id": {MOD_ID}, "type": "chat"}}'
    api.commands.pop(scope, None)  # as if Telegram refused the scope at start-up
    await chat.say(READER, "/start")
    assert scope not in api.commands
    await chat.say(MOD, "/start")
    assert "approve" in {c["command"] for c in api.commands[scope]}


async def test_readers_leave_no_per_chat_state_behind(
    chat: Conversation, adapter: TelegramAdapter
) -> None:
    for n in range(5):
        reader = FakeBotApi.user(80_000 + n, f"Reader {n}")
        assert "$500 billion" in text_of(await chat.say(reader, "/faq how much money"))
    # PTB's Application would keep every chat and user id for a persistence it does not have.
    assert not adapter.app._chat_ids_to_be_updated_in_persistence  # type: ignore[attr-defined]
    assert not adapter.app._user_ids_to_be_updated_in_persistence  # type: ignore[attr-defined]
