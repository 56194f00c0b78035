"""Settings from the environment (and `.env`). The names are a contract with operators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///data/newsroom.sqlite3"


def split_csv(value: object) -> object:
    """A comma-separated variable ("1, 2,3") as a list; a bare number as a one-item list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, int):
        return [str(value)]
    return value


def blank_is_unset(value: object) -> object:
    """A variable set to blanks counts as not set (hosts' forms leave empty values behind)."""
    return None if isinstance(value, str) and not value.strip() else value


# A list read by `split_csv` rather than as JSON (`NoDecode`).
CsvList = Annotated[list[str], NoDecode]


class CommentRules(BaseSettings):
    """WordPress-style moderation knobs; each one that fires is recorded as a reason."""

    model_config = SettingsConfigDict(env_prefix="COMMENT_", env_file=".env", extra="ignore")

    # Hold every comment for a moderator (WordPress "comment must be manually approved").
    manual_approval: bool = True
    max_links: int = Field(default=2, ge=0)
    moderation_words: CsvList = Field(default_factory=list)
    disallowed_words: CsvList = Field(default_factory=list)
    flood_seconds: float = Field(default=15.0, ge=0)
    min_length: int = Field(default=2, ge=1)
    max_length: int = Field(default=2000, ge=1)
    max_name_length: int = Field(default=64, ge=1)

    _csv = field_validator("moderation_words", "disallowed_words", mode="before")(split_csv)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_SQLITE_URL
    content_dir: Path = Path("content")
    log_level: str = "INFO"
    # SQLite durability: NORMAL survives an application crash, FULL also a power loss.
    sqlite_synchronous: str = "NORMAL"

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_moderator_ids: CsvList = Field(default_factory=list)
    telegram_moderation_chat_id: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    port: int = 8080
    telegram_rate_limit: bool = True

    discord_bot_token: SecretStr | None = None
    discord_guild_id: str | None = None
    discord_moderation_channel_id: str | None = None
    discord_moderator_role_ids: CsvList = Field(default_factory=list)
    discord_moderator_ids: CsvList = Field(default_factory=list)
    # Shards to open; unset follows Discord's recommendation (needed from 2,500 guilds).
    discord_shard_count: int | None = Field(default=None, ge=1)
    # The shards this process opens (e.g. "0,1" of 4); the others run in other processes.
    discord_shard_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    # Commands one user may send a minute before being asked to slow down (0: no limit).
    command_rate_per_minute: int = Field(default=20, ge=0)

    # Console identities that count as moderators (`python -m bots.console --moderator`).
    console_moderator_ids: CsvList = Field(default_factory=lambda: ["operator"])

    comment_rules: CommentRules = Field(default_factory=CommentRules)

    _csv = field_validator(
        "telegram_moderator_ids",
        "discord_moderator_role_ids",
        "discord_moderator_ids",
        "console_moderator_ids",
        mode="before",
    )(split_csv)

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _shard_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _shards_within_count(self) -> Settings:
        ids = self.discord_shard_ids
        if not ids:
            return self
        if self.discord_shard_count is None:
            raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the shards in all)")
        if len(set(ids)) != len(ids) or not all(0 <= i < self.discord_shard_count for i in ids):
            raise ValueError(
                f"DISCORD_SHARD_IDS must be distinct numbers from 0 to "
                f"{self.discord_shard_count - 1} (DISCORD_SHARD_COUNT is "
                f"{self.discord_shard_count})"
            )
        return self

    @field_validator("telegram_rate_limit", mode="before")
    @classmethod
    def _on_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"on", "off"}:
            return value.strip().lower() == "on"
        return value

    @field_validator("telegram_bot_token", "discord_bot_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return blank_is_unset(value)
