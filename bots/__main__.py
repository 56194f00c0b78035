"""`python -m bots`: run every configured adapter on one core, store and event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bots.logs import configure_logging
from core.app import Core
from core.config import Settings
from core.heap import settle_after_start_up
from core.store.engine import normalize_database_url
from core.store.single_process import StoreInUse

if TYPE_CHECKING:
    from bots.web import WebServer

log = logging.getLogger("bots")

Runner = Callable[[Core, asyncio.Event], Awaitable[None]]

NO_ADAPTER = """\
No platform is configured, so only the console is available.
To run on Telegram, set TELEGRAM_BOT_TOKEN (from @BotFather); for Discord, set DISCORD_BOT_TOKEN.
Put them in the environment or in a .env file (see .env.example), then start again."""


def configured_runners(settings: Settings) -> dict[str, Runner]:
    runners: dict[str, Runner] = {}
    if settings.telegram_bot_token is not None:
        from bots.telegram import run_telegram

        runners["telegram"] = run_telegram
    if settings.discord_bot_token is not None:
        from bots.discord import run_discord

        runners["discord"] = run_discord
    return runners


def warn_about_ephemeral_disk(settings: Settings) -> None:
    url = normalize_database_url(settings.database_url)
    if url.drivername.startswith("sqlite") and os.environ.get("DYNO"):
        log.warning(
            "SQLite on a host with an ephemeral disk loses every comment at each restart: "
            "set DATABASE_URL to a PostgreSQL database."
        )


async def run_adapters(core: Core, runners: dict[str, Runner]) -> int:
    """Run adapters until SIGINT/SIGTERM; if one fails, stop the others and report it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = {asyncio.create_task(run(core, stop), name=n): n for n, run in runners.items()}
    log.info("running: %s", ", ".join(runners))
    status = 0
    pending = set(tasks)
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.cancelled():
                continue
            if (exc := task.exception()) is not None:
                log.error("%s adapter stopped: %s", tasks[task], exc, exc_info=exc)
                status = 1
            elif not stop.is_set():
                log.error("%s adapter stopped unexpectedly", tasks[task])
                status = 1
        stop.set()
    return status


def chosen(runners: dict[str, Runner], names: list[str]) -> dict[str, Runner]:
    """The adapters named on the command line (`python -m bots telegram`), or all configured.

    Several processes split the work this way: e.g. `web` processes run Telegram and one
    `worker` runs Discord, from one environment."""
    if not names:
        return runners
    unknown = [name for name in names if name not in runners]
    if unknown:
        raise SystemExit(
            f"not configured here: {', '.join(unknown)} (set its token; configured: "
            f"{', '.join(runners) or 'none'})"
        )
    return {name: runners[name] for name in names}


async def main(names: list[str] | None = None) -> int:
    settings = Settings()
    configure_logging(settings)
    warn_about_ephemeral_disk(settings)
    runners = chosen(configured_runners(settings), names or [])
    if not runners and not sys.stdin.isatty():
        print(NO_ADAPTER, file=sys.stderr)
        return 2
    try:
        core = await Core.open(settings)
    except StoreInUse as exc:
        log.error("%s", exc)
        return 2
    settle_after_start_up()
    health = await serve_health(core, settings)
    try:
        if runners:
            return await run_adapters(core, runners)
        print(NO_ADAPTER, file=sys.stderr)
        from bots.console.__main__ import parse_args, run_console

        await run_console(core, parse_args([]))
        return 0
    finally:
        if health is not None:
            await health.stop()
        await core.close()


async def serve_health(core: Core, settings: Settings) -> WebServer | None:
    """`GET /healthz` on `PORT` when the host gives one and no webhook server takes it."""
    if "PORT" not in os.environ or settings.telegram_webhook_url:
        return None
    from bots.web import WebServer

    server = WebServer(host="0.0.0.0", port=settings.port, health=core.health)
    await server.start()
    log.info("health checks on port %d at /healthz", settings.port)
    return server


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(sys.argv[1:])))
    except KeyboardInterrupt:
        sys.exit(130)
