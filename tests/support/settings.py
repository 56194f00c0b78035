"""Settings for tests: a Core's on a given database (the real content pack, no .env), each
adapter's with the test moderators, and the grants a core-only test needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from bots.console.settings import ConsoleSettings
from bots.discord.settings import DiscordSettings
from bots.telegram.settings import TelegramSettings
from core.app import Core
from core.config import CommentRules, Settings
from core.secret import Secret
from tests.support.discord_api import GUILD_ID, MOD_CHANNEL_ID
from tests.support.paths import CONTENT
from tests.support.telegram_api import TOKEN
from tests.support.telegram_users import MOD2_ID, MOD_CHAT, MOD_ID

# Telegram tests send several comments a second from one author.
NO_FLOOD = CommentRules(flood_seconds=0)
# A Bot API nobody listens on, for a Telegram adapter a test never starts.
NO_API = "http://127.0.0.1:9"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    rules = overrides.pop("comment_rules", None) or CommentRules()
    values: dict[str, Any] = {
        "database_url": database_url,
        "content_dir": CONTENT,
        "comment_rules": rules,
    }
    values.update(overrides)
    return Settings(**values)


def telegram_settings(api_root: str = NO_API, **overrides: Any) -> TelegramSettings:
    """The Telegram adapter's on the fake Bot API at `api_root`; moderators MOD and MOD2."""
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "api_base_url": api_root,
        "moderator_ids": (str(MOD_ID), str(MOD2_ID)),
        "moderation_chat_id": str(MOD_CHAT),
        "rate_limit": False,
    }
    values.update(overrides)
    return TelegramSettings(**secrets(values, "bot_token", "webhook_secret"))


def discord_settings(**overrides: Any) -> DiscordSettings:
    """The Discord adapter's on the fake Discord; moderators by id 2001 and by role 777."""
    values: dict[str, Any] = {
        "bot_token": "fake-token",
        "moderation_channel_id": str(MOD_CHANNEL_ID),
        "guild_id": str(GUILD_ID),
        "moderator_ids": ("2001",),
        "moderator_role_ids": ("777",),
    }
    values.update(overrides)
    return DiscordSettings(**secrets(values, "bot_token"))


def console_settings(**overrides: Any) -> ConsoleSettings:
    values: dict[str, Any] = {"moderator_ids": ("operator",)}
    values.update(overrides)
    return ConsoleSettings(**values)


def secrets(values: dict[str, Any], *names: str) -> dict[str, Any]:
    """`values` with the tokens given as text (the tests' own, none real) made Secrets."""
    return {
        name: Secret(value) if name in names and isinstance(value, str) else value
        for name, value in values.items()
    }


def grant_test_moderators(core: Core) -> None:
    """What each adapter would grant with the test settings, for a Core no adapter runs on."""
    core.grant_moderators("telegram", telegram_settings().moderator_rule())
    core.grant_moderators("discord", discord_settings().moderator_rule())
    core.grant_moderators("console", console_settings().moderator_rule())


def set_environment(monkeypatch: pytest.MonkeyPatch, values: Mapping[str, str]) -> None:
    """Set each variable for this test only, as the host's environment would."""
    for name, value in values.items():
        monkeypatch.setenv(name, value)
