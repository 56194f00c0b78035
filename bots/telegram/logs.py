"""Keep the bot token out of logs: PTB and httpx put it in every request URL."""

from __future__ import annotations

import logging

from bots.logs import RedactSecrets


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
