"""Each adapter's settings honour the configuration contract's names and hosts' forms."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bots.console.settings import ConsoleSettings
from bots.discord.settings import DiscordSettings
from bots.logs import configure_logging
from bots.runner import AdapterSettings, read_settings
from bots.telegram.settings import TelegramSettings
from core.actors import Actor
from core.config import Settings
from core.environment import SettingsError
from core.secret import Secret
from tests.support.settings import set_environment

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"


@pytest.fixture(autouse=True)
def no_dot_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Read in a directory of the test's own, with no adapter variable of the test run's."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)


def test_contract_names_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_API_BASE_URL": "http://localhost:8081",
        "TELEGRAM_MODERATOR_IDS": "1, 2,3",
        "TELEGRAM_MODERATION_CHAT_ID": "-100",
        "TELEGRAM_WEBHOOK_URL": "https://bot.example/t",
        "TELEGRAM_WEBHOOK_SECRET": "s3",
        "TELEGRAM_RATE_LIMIT": "off",
        "TELEGRAM_ANNOUNCE_CHAT_IDS": "@newsroom, -1001234567890,@newsroom",
        "DISCORD_BOT_TOKEN": "d.t",
        "DISCORD_GUILD_ID": "42",
        "DISCORD_MODERATION_CHANNEL_ID": "43",
        "DISCORD_MODERATOR_ROLE_IDS": "7,8",
        "DISCORD_MODERATOR_IDS": "9",
        "DISCORD_ANNOUNCE_CHANNEL_IDS": "900000000000000777",
        "DISCORD_SHARD_COUNT": "4",
        "DISCORD_SHARD_IDS": "0, 1",
        "CONSOLE_MODERATOR_IDS": "ed, ops",
    }
    set_environment(monkeypatch, env)
    telegram = TelegramSettings.from_environment()
    assert telegram.bot_token == Secret("123:abc")
    assert "123:abc" not in repr(telegram)
    assert telegram.api_base_url == "http://localhost:8081"
    assert telegram.moderator_ids == ("1", "2", "3")
    assert telegram.moderation_chat_id == "-100"
    assert telegram.webhook_url == "https://bot.example/t"
    assert telegram.webhook_secret == Secret("s3")
    assert telegram.rate_limit is False
    assert telegram.announce_chat_ids == ("@newsroom", "-1001234567890")  # each once
    discord = DiscordSettings.from_environment()
    assert discord.bot_token == Secret("d.t")
    assert (discord.guild_id, discord.moderation_channel_id) == ("42", "43")
    assert discord.moderator_role_ids == ("7", "8")
    assert discord.moderator_ids == ("9",)
    assert discord.announce_channel_ids == ("900000000000000777",)
    assert (discord.shard_count, discord.shard_ids) == (4, (0, 1))
    assert ConsoleSettings.from_environment().moderator_ids == ("ed", "ops")


def test_a_bare_number_is_a_list_of_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_MODERATOR_IDS", "12345678")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "3")
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    assert TelegramSettings.from_environment().moderator_ids == ("12345678",)
    assert DiscordSettings.from_environment().shard_ids == (3,)


def test_blank_token_means_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "  ")
    (Path.cwd() / ".env").write_text("TELEGRAM_WEBHOOK_SECRET=\n")
    assert TelegramSettings.from_environment().bot_token is None
    assert TelegramSettings.from_environment().webhook_secret is None
    assert DiscordSettings.from_environment().bot_token is None


def test_dot_env_is_read_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    (Path.cwd() / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=from-file\nTELEGRAM_MODERATOR_IDS=1\nDISCORD_BOT_TOKEN=d-file\n"
    )
    monkeypatch.setenv("TELEGRAM_MODERATOR_IDS", "2, 3")
    telegram = TelegramSettings.from_environment()
    assert telegram.bot_token == Secret("from-file")
    assert telegram.moderator_ids == ("2", "3")
    assert DiscordSettings.from_environment().bot_token == Secret("d-file")


def test_the_console_operator_moderates_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSOLE_MODERATOR_IDS", raising=False)
    assert ConsoleSettings.from_environment().moderator_ids == ("operator",)


def test_keyword_construction_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("CONSOLE_MODERATOR_IDS", "ed")
    assert TelegramSettings().bot_token is None
    assert AdapterSettings().console.moderator_ids == ("operator",)


def test_every_bad_variable_of_every_adapter_is_named_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = {
        "PORT": "eighty",
        "TELEGRAM_ANNOUNCE_CHAT_IDS": "@newsroom,nonsense",
        "TELEGRAM_RATE_LIMIT": "sometimes",
        "DISCORD_ANNOUNCE_CHANNEL_IDS": "#news",
        "DISCORD_SHARD_COUNT": "0",
        "DISCORD_SHARD_IDS": "0,one",
    }
    set_environment(monkeypatch, bad)
    with pytest.raises(SettingsError) as raised:
        read_settings()
    lines = str(raised.value).splitlines()
    assert sorted(line.split(":", 1)[0] for line in lines) == sorted(bad)
    assert "TELEGRAM_ANNOUNCE_CHAT_IDS: 'nonsense' is not a chat" in str(raised.value)


def test_shards_out_of_the_count_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_SHARD_IDS", "0,1")
    with pytest.raises(SettingsError, match="DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT"):
        DiscordSettings.from_environment()


def test_a_token_is_never_shown(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    telegram = TelegramSettings.from_environment()
    assert telegram.bot_token is not None
    assert telegram.bot_token.reveal() == TOKEN
    for shown in (repr(telegram), str(telegram), f"{telegram.bot_token}", str(telegram.bot_token)):
        assert TOKEN not in shown and "AAHdq" not in shown
    # Pasted into the wrong variables, of another adapter too, it is not quoted back.
    monkeypatch.setenv("TELEGRAM_ANNOUNCE_CHAT_IDS", TOKEN)
    monkeypatch.setenv("TELEGRAM_RATE_LIMIT", TOKEN)
    monkeypatch.setenv("DISCORD_ANNOUNCE_CHANNEL_IDS", TOKEN)
    with pytest.raises(SettingsError) as raised:
        read_settings()
    assert len(str(raised.value).splitlines()) == 3
    assert "AAHdq" not in str(raised.value) and "123456789" not in str(raised.value)
    # And the logs redact it.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging(Settings(), telegram, DiscordSettings())
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "GET /bot%s/x", (TOKEN,), None)
        root.handlers[0].filter(record)
        assert TOKEN not in record.getMessage()
    finally:
        root.handlers[:], root.level = handlers, level


def test_moderator_rules_follow_ids_and_roles() -> None:
    telegram = TelegramSettings(moderator_ids=("1001",))
    assert telegram.moderator_rule()(Actor("telegram", "1001", "Mia"))
    assert not telegram.moderator_rule()(Actor("telegram", "501", "Ada"))
    discord = DiscordSettings(moderator_ids=("2001",), moderator_role_ids=("777",))
    rule = discord.moderator_rule()
    assert rule(Actor("discord", "2001", "Id Mod"))
    assert rule(Actor("discord", "9", "Role Mod", role_ids=frozenset({"5", "777"})))
    assert not rule(Actor("discord", "9", "Eve", role_ids=frozenset({"5"})))


def test_keyword_values_are_checked_too() -> None:
    with pytest.raises(ValueError, match="announce_chat_ids 'nonsense' is not a chat"):
        TelegramSettings(announce_chat_ids=("nonsense",))
    assert TelegramSettings(announce_chat_ids=("@news_room", "@news_room")).announce_chat_ids == (
        "@news_room",
    )
    with pytest.raises(ValueError, match="is not a channel id"):
        DiscordSettings(announce_channel_ids=("#news",))
    with pytest.raises(ValueError, match="bot_token must be a Secret") as raised:
        TelegramSettings(bot_token=TOKEN)  # type: ignore[arg-type]
    assert TOKEN not in str(raised.value)
