"""The Telegram adapter's settings (`TELEGRAM_*`); imports no Telegram library, so the runner
can read them to decide whether to load the adapter at all."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from core.actors import Actor
from core.checks import BadValue, secret, shown, texts, unique
from core.environment import Reading
from core.secret import Secret

# A public chat's @username (5-32 of letters, digits, _) or a numeric chat id.
CHAT = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-?\d{1,20}")


def chats(instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    """Chats a bot can post to: each a @username or a numeric id."""
    texts(instance, attribute, value)
    for chat in value:
        if not CHAT.fullmatch(chat):
            raise BadValue(
                attribute.name,
                f"{shown(chat)} is not a chat: give a @username or a numeric id like -100…",
            )


@attrs.frozen
class TelegramSettings:
    bot_token: Secret | None = attrs.field(default=None, validator=secret)
    api_base_url: str = "https://api.telegram.org"
    moderator_ids: tuple[str, ...] = attrs.field(default=(), validator=texts)
    moderation_chat_id: str | None = None
    webhook_url: str | None = None
    webhook_secret: Secret | None = attrs.field(default=None, validator=secret)
    rate_limit: bool = True
    # Channels or groups where /publish posts article cards: "@username" or "-100…" ids.
    announce_chat_ids: tuple[str, ...] = attrs.field(default=(), converter=unique, validator=chats)

    @classmethod
    def from_environment(cls) -> TelegramSettings:
        """`TELEGRAM_*` from the environment and `.env`; SettingsError names every bad one."""
        reading = Reading()
        with reading.prefixed("TELEGRAM_"):
            values = reading.checked(
                cls,
                {
                    "bot_token": reading.secret("BOT_TOKEN"),
                    "api_base_url": reading.text("API_BASE_URL"),
                    "moderator_ids": reading.texts("MODERATOR_IDS"),
                    "moderation_chat_id": reading.text("MODERATION_CHAT_ID"),
                    "webhook_url": reading.text("WEBHOOK_URL"),
                    "webhook_secret": reading.secret("WEBHOOK_SECRET"),
                    "rate_limit": reading.flag("RATE_LIMIT"),
                    "announce_chat_ids": reading.texts("ANNOUNCE_CHAT_IDS"),
                },
            )
        return reading.finish(lambda: cls(**values))

    def moderator_rule(self) -> Callable[[Actor], bool]:
        """Who moderates on Telegram (for `Core.grant_moderators`): the listed user ids."""
        ids = frozenset(self.moderator_ids)
        return lambda actor: actor.user_id in ids
