"""Fixtures: the fake Bot API, a real Core on a temp SQLite file, the adapter polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bots.telegram.run import TelegramAdapter
from core.app import Core
from core.config import Settings
from tests.support.settings import telegram_settings
from tests.support.telegram_api import FakeBotApi
from tests.support.telegram_chat import Conversation, fast_limiter


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


@pytest.fixture
async def adapter(tg_core: Core) -> AsyncIterator[TelegramAdapter]:
    bot = TelegramAdapter(tg_core, poll_timeout=1, limiter=fast_limiter())
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
def chat(api: FakeBotApi, adapter: TelegramAdapter) -> Conversation:
    return Conversation(api)
