"""Settings for a Core on a given database: the real content pack, known moderators, no .env."""

from __future__ import annotations

from typing import Any

from core.config import CommentRules, Settings
from tests.support.discord_api import GUILD_ID, MOD_CHANNEL_ID
from tests.support.paths import CONTENT
from tests.support.telegram_api import TOKEN
from tests.support.telegram_users import MOD2_ID, MOD_CHAT, MOD_ID


def make_settings(database_url: str, **overrides: object) -> Settings:
    rules = overrides.pop("comment_rules", None) or CommentRules(_env_file=None)
    values: dict[str, object] = {
        "database_url": database_url,
        "content_dir": CONTENT,
        "telegram_moderator_ids": ["1001"],
        "discord_moderator_ids": ["2001"],
        "discord_moderator_role_ids": ["777"],
        "console_moderator_ids": ["operator"],
        "comment_rules": rules,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def telegram_settings(database_url: str, api_root: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": api_root,
        "telegram_moderator_ids": [str(MOD_ID), str(MOD2_ID)],
        "telegram_moderation_chat_id": str(MOD_CHAT),
        "telegram_rate_limit": False,
        # Tests send several comments a second from one author.
        "comment_rules": CommentRules(_env_file=None, flood_seconds=0),
    }
    values.update(overrides)
    return make_settings(database_url, **values)


def discord_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "discord_bot_token": "fake-token",
        "discord_moderation_channel_id": str(MOD_CHANNEL_ID),
        "discord_guild_id": str(GUILD_ID),
    }
    values.update(overrides)
    return make_settings(url, **values)
