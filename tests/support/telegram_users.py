"""Telegram users and chats of the tests, as the fake Bot API puts them in updates."""

from __future__ import annotations

from tests.support.telegram_api import FakeBotApi

READER_ID = 501
OTHER_READER_ID = 502
MOD_ID = 1001  # moderators by `settings.telegram_settings`
MOD2_ID = 1002
STRANGER_ID = 777
MOD_CHAT = -100500  # the moderation chat of `settings.telegram_settings`

READER = FakeBotApi.user(READER_ID, "Ada", "Reader")
OTHER_READER = FakeBotApi.user(OTHER_READER_ID, "Bo")
MOD = FakeBotApi.user(MOD_ID, "Mia", "Moderator")
MOD2 = FakeBotApi.user(MOD2_ID, "Max", "Moderator")
STRANGER = FakeBotApi.user(STRANGER_ID, "Eve")
