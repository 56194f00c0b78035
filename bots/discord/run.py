"""The Discord client: no privileged intents, no member cache, commands from the core registry."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from enum import StrEnum

import discord
from discord import app_commands

from bots.discord.commands import build_commands
from bots.discord.dispatch import Adapter
from bots.discord.port import DiscordPlatform
from bots.discord.settings import DiscordSettings
from bots.discord.sync import sync_commands
from bots.discord.views import ActionItem
from core.app import Core
from core.comments.catch_up import CaughtUp
from core.events import ContentReloaded, Event
from core.tasks import cancel_and_wait

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0


class Sync(StrEnum):
    AUTO = "auto"  # only when the generated command set changed since the last sync
    FORCE = "force"  # `python -m bots.discord sync`
    NEVER = "never"


def intents() -> discord.Intents:
    """Slash commands and components need no intent; `guilds` keeps discord.py's state sane."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class NewsroomTree(app_commands.CommandTree["NewsroomClient"]):
    """The command tree; a command Discord still shows but this version lacks gets an answer."""

    async def on_error(
        self, interaction: discord.Interaction[NewsroomClient], error: app_commands.AppCommandError
    ) -> None:
        """Answer a stale command (Discord would say "did not respond"); log anything else."""
        if isinstance(error, app_commands.CommandNotFound):
            await interaction.client.adapter.unknown_command(interaction, error.name)
            return
        await super().on_error(interaction, error)


class NewsroomClient(discord.AutoShardedClient):
    """One bot connection; sharded by Discord's recommendation or the operator's shard count,
    opening all shards or (several processes) the operator's `shard_ids`."""

    def __init__(
        self,
        core: Core,
        settings: DiscordSettings | None = None,
        *,
        sync: Sync = Sync.AUTO,
        shard_count: int | None = None,
        shard_ids: Sequence[int] = (),
    ):
        super().__init__(
            intents=intents(),
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            max_messages=None,
            allowed_mentions=discord.AllowedMentions.none(),
            shard_count=shard_count,
            # None (all shards) is discord.py's own default; its annotation admits only a list.
            shard_ids=list(shard_ids) or None,  # type: ignore[arg-type]
        )
        self.core = core
        self.settings = settings = settings or DiscordSettings.from_environment()
        core.grant_moderators("discord", settings.moderator_rule())
        self.sync_mode = sync
        self.adapter = Adapter(core, settings.announce_channel_ids)
        self.platform = DiscordPlatform(
            self, settings.moderation_channel_id, settings.announce_channel_ids
        )
        self.tree: app_commands.CommandTree[NewsroomClient] = NewsroomTree(self)
        guild_id = settings.guild_id
        self.command_guild = discord.Object(id=int(guild_id)) if guild_id else None
        self._subscribed = False
        self.catching_up: asyncio.Task[CaughtUp] | None = None
        # One rebuild and sync at a time, each from the registry as it is when it starts.
        self._commands = asyncio.Lock()

    async def setup_hook(self) -> None:
        """Register persistent buttons and commands, sync if needed, follow core events."""
        self.add_dynamic_items(ActionItem)
        await self.follow_commands(force=self.sync_mode is Sync.FORCE)
        self.core.events.subscribe(self._on_event)
        self.core.relay.attach(self.platform)
        self._subscribed = True
        self.core.health_probes["discord"] = lambda: self.is_ready() and not self.is_closed()
        # In the background: a long backlog must not delay connecting to the gateway.
        self.catching_up = asyncio.create_task(
            self.core.relay.keep_caught_up(self.platform), name="discord-catch-up"
        )

    async def follow_commands(self, *, force: bool = False) -> bool:
        """Make the tree the registry's commands, then sync them if they differ from what
        Discord was last given (and the day's creations allow); True if it synced."""
        async with self._commands:
            # No await between clearing and refilling: an interaction finds the old tree or
            # the new one, never an empty one.
            self.tree.clear_commands(guild=self.command_guild)
            for command in build_commands(self.adapter, self.core.registry):
                self.tree.add_command(command, guild=self.command_guild)
            if self.sync_mode is Sync.NEVER:
                return False
            return await sync_commands(self.tree, self.core, self.command_guild, force=force)

    async def _on_event(self, event: Event) -> None:
        """New content with other commands: the tree follows, and Discord is re-synced. A
        changed text alone changes no command, so nothing is synced (nor counted)."""
        if isinstance(event, ContentReloaded) and event.commands_changed:
            await self.follow_commands()

    async def close(self) -> None:
        """Stop following events, let running event handlers finish, then disconnect."""
        # The next start delivers whatever is still owed.
        await cancel_and_wait(self.catching_up, ignore_failure=True)
        if self._subscribed:
            self.core.events.unsubscribe(self._on_event)
            self.core.relay.detach(self.platform)
            self._subscribed = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.core.events.drain(), DRAIN_SECONDS)
        await super().close()


async def run_discord(
    core: Core, stop: asyncio.Event, settings: DiscordSettings | None = None
) -> None:
    """Run the Discord adapter on `core` until `stop` is set (the shared runner's entry point;
    settings from the environment unless given)."""
    settings = settings or DiscordSettings.from_environment()
    token = settings.bot_token
    if token is None:
        raise RuntimeError("DISCORD_BOT_TOKEN is not set")
    shard_ids = settings.shard_ids
    client = NewsroomClient(core, settings, shard_count=settings.shard_count, shard_ids=shard_ids)
    core.roles["discord"] = (
        f"shards {','.join(map(str, shard_ids))} of {settings.shard_count}"
        if shard_ids
        else "all shards"
    )
    worker = core.presence.worker_id if core.presence else "the only worker"
    log.info("Discord adapter starting: %s (%s)", core.roles["discord"], worker)
    async with client:
        await client.login(token.reveal())
        runner = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
        stopper = asyncio.create_task(stop.wait(), name="discord-stop")
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        log.info("discord adapter stopping")
        stopper.cancel()
        await client.close()
        if runner.done():
            runner.result()  # a login or intent error surfaces here
        else:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
