"""Fixtures: the fake Bot API, a real Core on a temp SQLite file, the adapter polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bots.telegram.app import TelegramAdapter
from bots.telegram.limits import FloodControl
from core.app import Core
from core.config import CommentRules, Settings
from tests.conftest import make_settings
from tests.support.telegram_api import TOKEN, Call, FakeBotApi
from tests.support.telegram_html import visible_text

READER_ID = 501
OTHER_READER_ID = 502
MOD_ID = 1001
MOD2_ID = 1002
STRANGER_ID = 777
MOD_CHAT = -100500

READER = FakeBotApi.user(READER_ID, "Ada", "Reader")
OTHER_READER = FakeBotApi.user(OTHER_READER_ID, "Bo")
MOD = FakeBotApi.user(MOD_ID, "Mia", "Moderator")
MOD2 = FakeBotApi.user(MOD2_ID, "Max", "Moderator")
STRANGER = FakeBotApi.user(STRANGER_ID, "Eve")


def telegram_settings(database_url: str, api_root: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": api_root,
        "telegram_moderator_ids": [str(MOD_ID), str(MOD2_ID)],
        "telegram_moderation_chat_id": str(MOD_CHAT),
        "telegram_rate_limit": False,
        # Tests send several comments a second from one author.
        "comment_rules": CommentRules(_env_file=None, flood_seconds=0),
    }
    values.update(overrides)
    return make_settings(database_url, **values)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
def settings(sqlite_url: str, api: FakeBotApi) -> Settings:
    return telegram_settings(sqlite_url, api.root)


@pytest.fixture
async def tg_core(settings: Settings) -> AsyncIterator[Core]:
    core = await Core.open(settings)
    try:
        yield core
    finally:
        await core.close()


def fast_limiter(pacing: bool = False) -> FloodControl:
    return FloodControl(pacing=pacing, backoff=0.01)


@pytest.fixture
async def adapter(tg_core: Core) -> AsyncIterator[TelegramAdapter]:
    bot = TelegramAdapter(tg_core, poll_timeout=1, limiter=fast_limiter())
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


class Conversation:
    """Drives the fake: push an update, wait for the bot's answer, return the calls it made."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    async def _exchange(
        self, push: Callable[[], object], until: Callable[[Call], bool], quiet: float
    ) -> list[Call]:
        mark = len(self.api.calls)
        push()
        await self.api.wait_for(until, after=mark)
        await self.api.idle(quiet)
        return self.api.calls[mark:]

    async def say(
        self,
        user: dict[str, Any],
        text: str,
        chat_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
        quiet: float = 0.15,
    ) -> list[Call]:
        chat = chat_id if chat_id is not None else user["id"]
        return await self._exchange(
            lambda: self.api.message(user, text, chat_id, reply_to),
            lambda c: c.params.get("chat_id") == chat,
            quiet,
        )

    async def press(
        self, user: dict[str, Any], message: dict[str, Any], data: str, quiet: float = 0.15
    ) -> list[Call]:
        update = {}

        def push() -> None:
            update.update(self.api.press(user, message, data))

        calls = await self._exchange(push, lambda c: c.method == "answerCallbackQuery", quiet)
        query_id = update["callback_query"]["id"]
        answers = [c for c in calls if c.method == "answerCallbackQuery"]
        assert [c.params["callback_query_id"] for c in answers if c.ok] == [query_id]
        return calls


@pytest.fixture
def chat(api: FakeBotApi, adapter: TelegramAdapter) -> Conversation:
    return Conversation(api)


def sent(calls: list[Call], method: str = "sendMessage") -> list[Call]:
    return [c for c in calls if c.method == method and c.ok]


def text_of(calls: list[Call]) -> str:
    """What the reader sees in the messages sent or edited (HTML parsed as Telegram does)."""
    return "\n".join(visible_text(c.params["text"]) for c in calls if c.ok and "text" in c.params)


def buttons(call: Call) -> dict[str, str]:
    """label -> callback_data (or url) of the call's inline keyboard."""
    markup = call.params.get("reply_markup") or {}
    return {
        b["text"]: b.get("callback_data") or b.get("url", "")
        for row in markup.get("inline_keyboard", [])
        for b in row
    }


def message_of(call: Call) -> dict[str, Any]:
    """The message object the fake returned for a send/edit, as a client would see it."""
    result = call.result
    assert isinstance(result, dict)
    return result
