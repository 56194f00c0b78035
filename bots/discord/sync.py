"""Command sync only when the generated command set changed (Discord allows 200 creates a day)."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

if TYPE_CHECKING:
    from core.app import Core

log = logging.getLogger(__name__)

STATE_KEY = "discord.command_hash"


def command_payload(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None
) -> list[dict[str, Any]]:
    """What `tree.sync` would send for this scope, in a stable order."""
    commands = tree.get_commands(guild=guild)
    return sorted((command.to_dict(tree) for command in commands), key=lambda c: c["name"])


def command_hash(payload: list[dict[str, Any]], guild: discord.abc.Snowflake | None) -> str:
    scope = f"guild:{guild.id}" if guild else "global"
    body = json.dumps({"scope": scope, "commands": payload}, sort_keys=True, default=str)
    return f"{scope}:{hashlib.sha256(body.encode()).hexdigest()}"


async def sync_commands(
    tree: app_commands.CommandTree[Any],
    core: Core,
    guild: discord.abc.Snowflake | None,
    *,
    force: bool = False,
) -> bool:
    """Sync when the command set (or its scope) differs from the last sync; True if it did."""
    digest = command_hash(command_payload(tree, guild), guild)
    if not force and await core.load_state(STATE_KEY) == digest:
        log.info("slash commands unchanged since the last sync; not syncing")
        return False
    try:
        synced = await tree.sync(guild=guild)
    except discord.HTTPException as exc:
        # Keep running with whatever commands Discord has; the next start tries again.
        log.error(
            "slash command sync failed (%s %s); is the bot invited with the "
            "applications.commands scope%s?",
            exc.status,
            exc.code,
            f" to guild {guild.id}" if guild else "",
        )
        return False
    await core.save_state(STATE_KEY, digest)
    where = f"guild {guild.id}" if guild else "all guilds (global; may take a while to show)"
    log.info("synced %d slash commands to %s", len(synced), where)
    return True
