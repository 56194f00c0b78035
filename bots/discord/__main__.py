"""`python -m bots.discord` runs the Discord adapter alone (as `python -m bots discord`);
`python -m bots.discord sync` syncs its slash commands and exits."""

from __future__ import annotations

import asyncio
import sys

from bots.discord.run import NewsroomClient, Sync
from bots.discord.settings import DiscordSettings
from bots.logs import configure_logging
from bots.runner import read_settings, refuse, run
from core.app import Core
from core.config import Settings
from core.environment import SettingsError

USAGE = "usage: python -m bots.discord [sync]"


async def sync_and_exit(settings: Settings, discord: DiscordSettings) -> None:
    """Log in, sync the slash commands whatever was synced before, and leave."""
    core = await Core.open(settings)
    try:
        assert discord.bot_token is not None
        async with NewsroomClient(core, discord, sync=Sync.FORCE) as client:
            await client.login(discord.bot_token.reveal())
    finally:
        await core.close()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, then run the adapter or sync its commands."""
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["sync"]):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        settings, adapters = read_settings()
    except SettingsError as exc:
        return refuse(exc)
    if adapters.discord.bot_token is None:
        print("DISCORD_BOT_TOKEN is not set (environment or .env)", file=sys.stderr)
        return 2
    if not args:
        return run(["discord"])
    configure_logging(settings, adapters.telegram, adapters.discord)
    asyncio.run(sync_and_exit(settings, adapters.discord))
    return 0


if __name__ == "__main__":
    sys.exit(main())
