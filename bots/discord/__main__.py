"""`python -m bots.discord` runs the Discord adapter alone; `... sync` syncs commands and exits."""

from __future__ import annotations

import asyncio
import signal
import sys

from bots.discord.run import NewsroomClient, Sync, run_discord
from bots.logs import configure_logging
from core.app import Core
from core.config import Settings
from core.heap import settle_after_start_up
from core.store.single_process import StoreInUse

USAGE = "usage: python -m bots.discord [sync]"


async def run_alone(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then disconnect cleanly and close the core."""
    try:
        core = await Core.open(settings)
    except StoreInUse as exc:
        raise SystemExit(str(exc)) from None
    settle_after_start_up()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_discord(core, stop)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await core.close()


async def sync_and_exit(settings: Settings) -> None:
    """Log in, sync the slash commands whatever was synced before, and leave."""
    core = await Core.open(settings)
    try:
        assert settings.discord_bot_token is not None
        async with NewsroomClient(core, sync=Sync.FORCE) as client:
            await client.login(settings.discord_bot_token.get_secret_value())
    finally:
        await core.close()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, then run the adapter or sync its commands."""
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["sync"]):
        print(USAGE, file=sys.stderr)
        return 2
    settings = Settings()
    if settings.discord_bot_token is None:
        print("DISCORD_BOT_TOKEN is not set (environment or .env)", file=sys.stderr)
        return 2
    configure_logging(settings)
    asyncio.run(sync_and_exit(settings) if args else run_alone(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
