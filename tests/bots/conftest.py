"""Fixtures every adapter's tests share: the fake Telegram Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.telegram_api import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
