"""Settings honour the configuration contract's names and the forms hosts hand out."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import pytest

from core.config import CommentRules, Settings
from core.environment import SettingsError
from core.store.engine import describe_url, normalize_database_url
from tests.support.settings import set_environment

CORE_NAMES = {
    "DATABASE_URL",
    "CONTENT_DIR",
    "LOG_LEVEL",
    "SQLITE_SYNCHRONOUS",
    "PORT",
    "ARTICLE_AUTO_PUBLISH",
    "COMMAND_RATE_PER_MINUTE",
}


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


def test_contract_names_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Each adapter's own names: tests/bots/test_adapter_settings.py.
    monkeypatch.chdir(tmp_path)  # no .env here
    env = {
        "DATABASE_URL": "postgres://u@h/n",
        "CONTENT_DIR": "elsewhere",
        "PORT": "9000",
        "LOG_LEVEL": "DEBUG",
        "SQLITE_SYNCHRONOUS": "FULL",
        "ARTICLE_AUTO_PUBLISH": "true",
        "COMMAND_RATE_PER_MINUTE": "5",
        "COMMENT_MANUAL_APPROVAL": "off",
        "COMMENT_MAX_LINKS": "0",
        "COMMENT_MODERATION_WORDS": "casino, казино",
        "COMMENT_DISALLOWED_WORDS": "viagra",
        "COMMENT_FLOOD_SECONDS": "2.5",
        "COMMENT_MIN_LENGTH": "3",
        "COMMENT_MAX_LENGTH": "500",
        "COMMENT_MAX_NAME_LENGTH": "20",
    }
    set_environment(monkeypatch, env)
    settings = Settings.from_environment()
    assert settings.database_url == "postgres://u@h/n"
    assert settings.content_dir == Path("elsewhere")
    assert settings.port == 9000
    assert settings.log_level == "DEBUG"
    assert settings.sqlite_synchronous == "FULL"
    assert settings.article_auto_publish is True
    assert settings.command_rate_per_minute == 5
    assert settings.comment_rules == CommentRules(
        manual_approval=False,
        max_links=0,
        moderation_words=("casino", "казино"),
        disallowed_words=("viagra",),
        flood_seconds=2.5,
        min_length=3,
        max_length=500,
        max_name_length=20,
    )


def test_nothing_set_gives_the_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name in CORE_NAMES or name.startswith("COMMENT_"):
            monkeypatch.delenv(name)
    assert Settings.from_environment() == Settings()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("on", True), ("ON", True), (" yes ", True), ("1", True), ("off", False), ("False", False)],
)
def test_switches_take_on_and_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raw: str, expected: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARTICLE_AUTO_PUBLISH", raw)
    monkeypatch.setenv("COMMENT_MANUAL_APPROVAL", raw)
    settings = Settings.from_environment()
    assert settings.article_auto_publish is settings.comment_rules.manual_approval is expected


def test_dot_env_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "DATABASE_URL=sqlite+aiosqlite:///from/file.sqlite3\nLOG_LEVEL=DEBUG\n"
        "COMMENT_DISALLOWED_WORDS=casino, poker\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    settings = Settings.from_environment()
    assert settings.database_url == "sqlite+aiosqlite:///from/file.sqlite3"
    assert settings.log_level == "WARNING"
    assert settings.comment_rules.disallowed_words == ("casino", "poker")
    # Read into the settings alone, not into the process's environment.
    assert "DATABASE_URL" not in os.environ


def test_a_parent_directory_dot_env_is_not_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\n")
    (tmp_path / "below").mkdir()
    monkeypatch.chdir(tmp_path / "below")
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    assert Settings.from_environment().log_level == "INFO"


def test_every_bad_variable_is_named_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = {
        "PORT": "eighty",
        "LOG_LEVEL": "LOUD",
        "SQLITE_SYNCHRONOUS": "sometimes",
        "ARTICLE_AUTO_PUBLISH": "maybe",
        "COMMAND_RATE_PER_MINUTE": "-1",
        "COMMENT_MAX_LINKS": "-2",
        "COMMENT_FLOOD_SECONDS": "soon",
        "COMMENT_MIN_LENGTH": "0",
    }
    set_environment(monkeypatch, bad)
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment()
    lines = str(raised.value).splitlines()
    assert sorted(line.split(":", 1)[0] for line in lines) == sorted(bad)
    assert "COMMENT_MAX_LINKS: must be at least 0, not -2" in lines


def test_a_bad_value_is_quoted_cut_short(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOG_LEVEL", "x" * 500)
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment()
    assert "x" * 40 not in str(raised.value)
    assert len(str(raised.value)) < 150


def test_keyword_values_are_checked_too() -> None:
    with pytest.raises(ValueError, match="max_links must be at least 0"):
        CommentRules(max_links=-1)
    with pytest.raises(ValueError, match="moderation_words must be a tuple of strings"):
        CommentRules(moderation_words="casino")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sqlite_synchronous must be one of"):
        Settings(sqlite_synchronous="OFF")


def test_keyword_construction_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9000")
    assert Settings().port == 8080


def test_the_core_settings_name_no_platform() -> None:
    names = [*attrs.fields_dict(Settings), *attrs.fields_dict(CommentRules)]
    assert not [name for name in names if name.startswith(("telegram", "discord"))]
