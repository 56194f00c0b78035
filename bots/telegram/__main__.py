"""`python -m bots.telegram`: run the Telegram adapter alone until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from telegram.error import InvalidToken

from bots.logs import configure_logging
from bots.telegram.run import PollingConflict, PollingFailed, TelegramAdapter
from core.app import Core
from core.config import Settings
from core.heap import settle_after_start_up
from core.store.single_process import StoreInUse

log = logging.getLogger("bots.telegram")

# Exit statuses a supervisor can tell apart: 2 = misconfigured, 3 = another instance polls.
EXIT_CONFIG = 2
EXIT_CONFLICT = 3
EXIT_FAILED = 1


async def main(settings: Settings) -> int:
    """Open the core, run the adapter until a signal or a fatal polling error, close cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        core = await Core.open(settings)
    except StoreInUse as exc:
        log.error("%s", exc)
        return EXIT_CONFIG
    settle_after_start_up()
    try:
        await TelegramAdapter(core).run(stop)
    except PollingConflict:
        return EXIT_CONFLICT
    except InvalidToken:
        log.error("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather")
        return EXIT_CONFIG
    except PollingFailed:
        return EXIT_FAILED
    finally:
        await core.close()
    return 0


def run() -> int:
    settings = Settings()
    configure_logging(settings)
    if settings.telegram_bot_token is None:
        log.error("TELEGRAM_BOT_TOKEN is not set: nothing to run")
        return EXIT_CONFIG
    return asyncio.run(main(settings))


if __name__ == "__main__":
    sys.exit(run())
