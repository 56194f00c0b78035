"""Settings from the environment (and `.env`). The names are a contract with operators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
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
    """What the core needs, whatever the platform; each adapter reads its own settings
    (`bots/<platform>/settings.py`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_SQLITE_URL
    content_dir: Path = Path("content")
    log_level: str = "INFO"
    # SQLite durability: NORMAL survives an application crash, FULL also a power loss.
    sqlite_synchronous: str = "NORMAL"
    # The host's HTTP port: health checks, or a webhook adapter's receiver.
    port: int = 8080

    # Publish each article never published before as it loads (ARTICLE_AUTO_PUBLISH).
    article_auto_publish: bool = False

    # Commands one user may send a minute before being asked to slow down (0: no limit).
    command_rate_per_minute: int = Field(default=20, ge=0)

    comment_rules: CommentRules = Field(default_factory=CommentRules)
