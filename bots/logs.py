"""Logging for every adapter, with platform tokens redacted wherever they would appear."""

from __future__ import annotations

import logging

from bots.discord.settings import DiscordSettings
from bots.telegram.settings import TelegramSettings
from core.config import Settings
from core.secret import redact


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message or traceback contains a secret (HTTP libraries log
    URLs with the bot token in them, and exceptions quote them)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def configure_logging(
    settings: Settings,
    telegram: TelegramSettings | None = None,
    discord: DiscordSettings | None = None,
) -> None:
    """Log to stderr at `LOG_LEVEL`, redacting every adapter's secrets (each adapter's settings
    from the environment unless given)."""
    telegram = telegram or TelegramSettings.from_environment()
    discord = discord or DiscordSettings.from_environment()
    secrets = [
        s.reveal()
        for s in (telegram.bot_token, discord.bot_token, telegram.webhook_secret)
        if s is not None
    ]
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # Request lines carry the bot token in the URL path; keep them out even at DEBUG.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
