"""Keep the bot token out of logs: PTB and httpx put it in every request URL."""

from __future__ import annotations

import logging

REDACTED = "<token>"


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message or traceback contains a secret."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def protect_token(token: str) -> RedactSecrets:
    """Quiet the per-request loggers and redact the token from whatever still gets logged."""
    # httpx logs every request URL (token included) at INFO.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    redactor = RedactSecrets([token])
    loggers = [logging.getLogger(n) for n in ("httpx", "telegram", "bots.telegram")]
    for target in [*logging.getLogger().handlers, *loggers]:
        if not any(
            isinstance(f, RedactSecrets) and f.secrets == redactor.secrets for f in target.filters
        ):
            target.addFilter(redactor)
    return redactor
