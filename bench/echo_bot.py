"""The framework floor: a bare python-telegram-bot echo bot with the product's PTB settings.

Run: `TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT .venv/bin/python -m
bench.echo_bot` (bench.telegram_read starts it against its fake). Same concurrent updates,
connection pool, timeouts, long-poll timeout and allowed updates as `bots.telegram.run`; no rate
limiter (the product's runs with pacing off); no store, no core: each text message is sent back.

`BENCH_TRANSPORT=aiohttp` puts it on the product's Bot API transport (bots/telegram/transport.py)
instead of PTB's default httpx one: the bench's second floor, so the product's own overhead shows
apart from what its transport saves.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bots.telegram.run import ALLOWED_UPDATES, default_concurrency
from bots.telegram.transport import AiohttpRequest

TRANSPORT_ENV = "BENCH_TRANSPORT"

log = logging.getLogger("bench.echo_bot")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await context.bot.send_message(message.chat_id, message.text)


def build(token: str, root: str) -> Application:  # type: ignore[type-arg]
    concurrency = default_concurrency()
    builder = (
        Application.builder()
        .token(token)
        .base_url(f"{root.rstrip('/')}/bot{{token}}")
        .concurrent_updates(concurrency)
    )
    if os.environ.get(TRANSPORT_ENV) == "aiohttp":
        builder = builder.request(AiohttpRequest(concurrency + 4)).get_updates_request(
            AiohttpRequest(1, read_timeout=10)
        )
    else:
        builder = builder.connection_pool_size(concurrency + 4).get_updates_read_timeout(10)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    app = build(os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_BASE_URL"])
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=30, allowed_updates=ALLOWED_UPDATES)  # type: ignore[union-attr]
        await stop.wait()
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()


if __name__ == "__main__":
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level="INFO")
    # As in the product: request lines would log the token, and cost a line per request.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    asyncio.run(main())
