"""The Telegram adapter's settings (`TELEGRAM_*`); imports no Telegram library, so the runner
can read them to decide whether to load the adapter at all."""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.actors import Actor
from core.config import CsvList, blank_is_unset, split_csv

# A public chat's @username (5-32 of letters, digits, _) or a numeric chat id.
CHAT = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-?\d{1,20}")


class TelegramSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TELEGRAM_", env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    api_base_url: str = "https://api.telegram.org"
    moderator_ids: CsvList = Field(default_factory=list)
    moderation_chat_id: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    rate_limit: bool = True
    # Channels or groups where /publish posts article cards: "@username" or "-100…" ids.
    announce_chat_ids: CsvList = Field(default_factory=list)

    _csv = field_validator("moderator_ids", "announce_chat_ids", mode="before")(split_csv)

    @field_validator("announce_chat_ids")
    @classmethod
    def _chats(cls, chats: list[str]) -> list[str]:
        for chat in chats:
            if not CHAT.fullmatch(chat):
                raise ValueError(
                    f"{chat[:40]!r} is not a chat: give a @username or a numeric id like -100…"
                )
        return list(dict.fromkeys(chats))  # each once, in the order given

    @field_validator("rate_limit", mode="before")
    @classmethod
    def _on_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"on", "off"}:
            return value.strip().lower() == "on"
        return value

    @field_validator("bot_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return blank_is_unset(value)

    def moderator_rule(self) -> Callable[[Actor], bool]:
        """Who moderates on Telegram (for `Core.grant_moderators`): the listed user ids."""
        ids = frozenset(self.moderator_ids)
        return lambda actor: actor.user_id in ids
