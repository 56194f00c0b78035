"""Fixtures: the fake Bot API, a real Core on a temp SQLite file, the adapter polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bots.telegram.run import TelegramAdapter
from bots.telegram.settings import TelegramSettings
from core.app import Core
from core.config import Settings
from tests.support.settings import (
    NO_FLOOD,
    grant_test_moderators,
    make_settings,
    telegram_settings,
)
from tests.support.telegram_api import FakeBotApi
from tests.support.telegram_chat import Conversation, fast_limiter


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    """The Core's settings (Telegram tests send several comments a second from one author)."""
    return make_settings(sqlite_url, comment_rules=NO_FLOOD)


@pytest.fixture
def tg_settings(api: FakeBotApi) -> TelegramSettings:
    """The Telegram adapter's settings: the fake Bot API, the test moderators."""
    return telegram_settings(api.root)


@pytest.fixture
async def tg_core(settings: Settings) -> AsyncIterator[Core]:
    """A Core; its moderators are the test ones even before (or without) an adapter."""
    core = await Core.open(settings)
    grant_test_moderators(core)
    try:
        yield core
    finally:
        await core.close()


@pytest.fixture
async def adapter(tg_core: Core, tg_settings: TelegramSettings) -> AsyncIterator[TelegramAdapter]:
    bot = TelegramAdapter(tg_core, tg_settings, poll_timeout=1, limiter=fast_limiter())
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
def chat(api: FakeBotApi, adapter: TelegramAdapter) -> Conversation:
    return Conversation(api)
