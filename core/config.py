"""Settings from the environment (and `.env`). The names are a contract with operators."""

from __future__ import annotations

from pathlib import Path

import attrs

from core.checks import at_least, one_of, texts
from core.environment import Reading

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///data/newsroom.sqlite3"
LOG_LEVELS = ("CRITICAL", "FATAL", "ERROR", "WARNING", "WARN", "INFO", "DEBUG", "NOTSET")


@attrs.frozen
class CommentRules:
    """WordPress-style moderation knobs; each one that fires is recorded as a reason."""

    # Hold every comment for a moderator (WordPress "comment must be manually approved").
    manual_approval: bool = True
    max_links: int = attrs.field(default=2, validator=at_least(0))
    moderation_words: tuple[str, ...] = attrs.field(default=(), validator=texts)
    disallowed_words: tuple[str, ...] = attrs.field(default=(), validator=texts)
    flood_seconds: float = attrs.field(default=15.0, validator=at_least(0))
    min_length: int = attrs.field(default=2, validator=at_least(1))
    max_length: int = attrs.field(default=2000, validator=at_least(1))
    max_name_length: int = attrs.field(default=64, validator=at_least(1))


@attrs.frozen
class Settings:
    """What the core needs, whatever the platform; each adapter reads its own settings
    (`bots/<platform>/settings.py`)."""

    database_url: str = DEFAULT_SQLITE_URL
    content_dir: Path = Path("content")
    # Checked here rather than when logging starts, which would end in a traceback.
    log_level: str = attrs.field(default="INFO", validator=one_of(*LOG_LEVELS))
    # SQLite durability: NORMAL survives an application crash, FULL also a power loss.
    sqlite_synchronous: str = attrs.field(
        default="NORMAL", validator=one_of("NORMAL", "FULL", "EXTRA")
    )
    # The host's HTTP port: health checks, or a webhook adapter's receiver.
    port: int = 8080

    # Publish each article never published before as it loads (ARTICLE_AUTO_PUBLISH).
    article_auto_publish: bool = False

    # Commands one user may send a minute before being asked to slow down (0: no limit).
    command_rate_per_minute: int = attrs.field(default=20, validator=at_least(0))

    comment_rules: CommentRules = attrs.Factory(CommentRules)

    @classmethod
    def from_environment(cls) -> Settings:
        """The core's variables and `COMMENT_*`; SettingsError names every bad one."""
        reading = Reading()
        values = reading.checked(
            cls,
            {
                "database_url": reading.text("DATABASE_URL"),
                "content_dir": reading.path("CONTENT_DIR"),
                "log_level": reading.text("LOG_LEVEL"),
                "sqlite_synchronous": reading.text("SQLITE_SYNCHRONOUS"),
                "port": reading.integer("PORT"),
                "article_auto_publish": reading.flag("ARTICLE_AUTO_PUBLISH"),
                "command_rate_per_minute": reading.integer("COMMAND_RATE_PER_MINUTE"),
            },
        )
        with reading.prefixed("COMMENT_"):
            rules = reading.checked(
                CommentRules,
                {
                    "manual_approval": reading.flag("MANUAL_APPROVAL"),
                    "max_links": reading.integer("MAX_LINKS"),
                    "moderation_words": reading.texts("MODERATION_WORDS"),
                    "disallowed_words": reading.texts("DISALLOWED_WORDS"),
                    "flood_seconds": reading.number("FLOOD_SECONDS"),
                    "min_length": reading.integer("MIN_LENGTH"),
                    "max_length": reading.integer("MAX_LENGTH"),
                    "max_name_length": reading.integer("MAX_NAME_LENGTH"),
                },
            )
        return reading.finish(lambda: cls(**values, comment_rules=CommentRules(**rules)))
