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
    # Each adapter's own names: tests/bots/test_adapter_settings.py.
    env = {
        "DATABASE_URL": "postgres://u@h/n",
        "CONTENT_DIR": "elsewhere",
        "PORT": "9000",
        "LOG_LEVEL": "DEBUG",
        "SQLITE_SYNCHRONOUS": "FULL",
        "COMMAND_RATE_PER_MINUTE": "5",
        "COMMENT_MODERATION_WORDS": "casino, казино",
        "COMMENT_MAX_LINKS": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgres://u@h/n"
    assert str(settings.content_dir) == "elsewhere"
    assert settings.port == 9000
    assert settings.log_level == "DEBUG"
    assert settings.sqlite_synchronous == "FULL"
    assert settings.command_rate_per_minute == 5
    assert settings.comment_rules.moderation_words == ["casino", "казино"]
    assert settings.comment_rules.max_links == 0


def test_the_core_settings_name_no_platform() -> None:
    assert not [name for name in Settings.model_fields if name.startswith(("telegram", "discord"))]
