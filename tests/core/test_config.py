"""Settings honour the configuration contract's names and the forms hosts hand out."""

from __future__ import annotations

import pytest

from core.config import Settings
from core.store.engine import describe_url, normalize_database_url


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgres://u:p@db.example:5432/news", "postgresql+asyncpg"),
        ("postgresql://u:p@db.example/news", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/news", "postgresql+asyncpg"),
        ("sqlite:///data/x.sqlite3", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///data/x.sqlite3", "sqlite+aiosqlite"),
    ],
)
def test_database_urls_are_normalised(raw: str, driver: str) -> None:
    assert normalize_database_url(raw).drivername == driver


def test_password_never_shown() -> None:
    shown = describe_url(normalize_database_url("postgres://u:secret@h/news"))
    assert "secret" not in shown


def test_contract_names_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "DATABASE_URL": "postgres://u@h/n",
        "CONTENT_DIR": "elsewhere",
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_API_BASE_URL": "http://localhost:8081",
        "TELEGRAM_MODERATOR_IDS": "1, 2,3",
        "TELEGRAM_MODERATION_CHAT_ID": "-100",
        "TELEGRAM_WEBHOOK_URL": "https://bot.example/t",
        "TELEGRAM_WEBHOOK_SECRET": "s3",
        "PORT": "9000",
        "TELEGRAM_RATE_LIMIT": "off",
        "DISCORD_BOT_TOKEN": "d.t",
        "DISCORD_GUILD_ID": "42",
        "DISCORD_MODERATION_CHANNEL_ID": "43",
        "DISCORD_MODERATOR_ROLE_IDS": "7,8",
        "DISCORD_MODERATOR_IDS": "9",
        "LOG_LEVEL": "DEBUG",
        "COMMENT_MODERATION_WORDS": "casino, казино",
        "COMMENT_MAX_LINKS": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgres://u@h/n"
    assert str(settings.content_dir) == "elsewhere"
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)
    assert settings.telegram_moderator_ids == ["1", "2", "3"]
    assert settings.telegram_rate_limit is False
    assert settings.port == 9000
    assert settings.discord_moderator_role_ids == ["7", "8"]
    assert settings.log_level == "DEBUG"
    assert settings.comment_rules.moderation_words == ["casino", "казино"]
    assert settings.comment_rules.max_links == 0


def test_blank_token_means_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    settings = Settings(_env_file=None)
    assert settings.telegram_bot_token is None
    assert settings.discord_bot_token is None
