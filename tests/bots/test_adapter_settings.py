"""Each adapter's settings honour the configuration contract's names and hosts' forms."""

from __future__ import annotations

import pytest

from bots.console.settings import ConsoleSettings
from bots.discord.settings import DiscordSettings
from bots.telegram.settings import TelegramSettings
from core.actors import Actor


def test_contract_names_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_API_BASE_URL": "http://localhost:8081",
        "TELEGRAM_MODERATOR_IDS": "1, 2,3",
        "TELEGRAM_MODERATION_CHAT_ID": "-100",
        "TELEGRAM_WEBHOOK_URL": "https://bot.example/t",
        "TELEGRAM_WEBHOOK_SECRET": "s3",
        "TELEGRAM_RATE_LIMIT": "off",
        "DISCORD_BOT_TOKEN": "d.t",
        "DISCORD_GUILD_ID": "42",
        "DISCORD_MODERATION_CHANNEL_ID": "43",
        "DISCORD_MODERATOR_ROLE_IDS": "7,8",
        "DISCORD_MODERATOR_IDS": "9",
        "CONSOLE_MODERATOR_IDS": "ed, ops",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    telegram = TelegramSettings(_env_file=None)
    assert telegram.bot_token is not None
    assert telegram.bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(telegram)
    assert telegram.api_base_url == "http://localhost:8081"
    assert telegram.moderator_ids == ["1", "2", "3"]
    assert telegram.moderation_chat_id == "-100"
    assert telegram.webhook_url == "https://bot.example/t"
    assert telegram.webhook_secret is not None
    assert telegram.webhook_secret.get_secret_value() == "s3"
    assert telegram.rate_limit is False
    discord = DiscordSettings(_env_file=None)
    assert discord.bot_token is not None
    assert discord.bot_token.get_secret_value() == "d.t"
    assert (discord.guild_id, discord.moderation_channel_id) == ("42", "43")
    assert discord.moderator_role_ids == ["7", "8"]
    assert discord.moderator_ids == ["9"]
    assert ConsoleSettings(_env_file=None).moderator_ids == ["ed", "ops"]


def test_blank_token_means_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "  ")
    assert TelegramSettings(_env_file=None).bot_token is None
    assert DiscordSettings(_env_file=None).bot_token is None


def test_the_console_operator_moderates_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSOLE_MODERATOR_IDS", raising=False)
    assert ConsoleSettings(_env_file=None).moderator_ids == ["operator"]


def test_moderator_rules_follow_ids_and_roles() -> None:
    telegram = TelegramSettings(_env_file=None, moderator_ids=["1001"])
    assert telegram.moderator_rule()(Actor("telegram", "1001", "Mia"))
    assert not telegram.moderator_rule()(Actor("telegram", "501", "Ada"))
    discord = DiscordSettings(_env_file=None, moderator_ids=["2001"], moderator_role_ids=["777"])
    rule = discord.moderator_rule()
    assert rule(Actor("discord", "2001", "Id Mod"))
    assert rule(Actor("discord", "9", "Role Mod", role_ids=frozenset({"5", "777"})))
    assert not rule(Actor("discord", "9", "Eve", role_ids=frozenset({"5"})))
