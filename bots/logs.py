"""Logging for every adapter, with platform tokens redacted wherever they would appear."""

from __future__ import annotations

import logging

from core.config import Settings


class RedactSecrets(logging.Filter):
    """Replace each secret in a record's message (HTTP libraries log URLs with the token)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def configure_logging(settings: Settings) -> None:
    secrets = [
        s.get_secret_value()
        for s in (
            settings.telegram_bot_token,
            settings.discord_bot_token,
            settings.telegram_webhook_secret,
        )
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
