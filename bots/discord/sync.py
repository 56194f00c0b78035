"""Command sync only when the generated command set changed (Discord allows 200 creates a day).

Two guards, both kept in the store so every process and every restart shares them: the hash
of the last synced command set (an unchanged set is never sent again), and the creations of
the last 24 hours (a sync that would pass Discord's daily limit waits, rather than have
Discord refuse commands half-way). A creation is a command name Discord did not have.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

if TYPE_CHECKING:
    from collections.abc import Iterable

    from core.app import Core

log = logging.getLogger(__name__)

STATE_KEY = "discord.command_hash"
CREATES_KEY = "discord.command_creates"
# Discord's limit on command creations a day, per guild and for global commands. Counted over
# the last 24 hours, which also keeps any calendar day within it.
DAILY_CREATES = 200
DAY = timedelta(days=1)


def command_payload(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None
) -> list[dict[str, Any]]:
    """What `tree.sync` would send for this scope, in a stable order."""
    commands = tree.get_commands(guild=guild)
    return sorted((command.to_dict(tree) for command in commands), key=lambda c: c["name"])


def scope_of(guild: discord.abc.Snowflake | None) -> str:
    return f"guild:{guild.id}" if guild else "global"


def command_hash(payload: list[dict[str, Any]], guild: discord.abc.Snowflake | None) -> str:
    scope = scope_of(guild)
    body = json.dumps({"scope": scope, "commands": payload}, sort_keys=True, default=str)
    return f"{scope}:{hashlib.sha256(body.encode()).hexdigest()}"


@dataclass(frozen=True)
class Creations:
    """The command names Discord has in one scope (as last synced) and the creations of the
    last 24 hours there."""

    scope: str
    names: frozenset[str] = frozenset()
    recent: tuple[tuple[datetime, int], ...] = ()

    @classmethod
    def parse(cls, stored: str | None, scope: str) -> Creations:
        if not stored:
            return cls(scope)
        try:
            data = json.loads(stored)
            if data["scope"] != scope:
                return cls(scope)  # another scope's commands: every name here is new
            recent = tuple((datetime.fromisoformat(at), int(n)) for at, n in data["recent"])
            return cls(scope, frozenset(data["names"]), recent)
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable %s in the store; counting every command as new", CREATES_KEY)
            return cls(scope)

    def new_names(self, names: Iterable[str]) -> int:
        return len(set(names) - self.names)

    def used(self, now: datetime) -> int:
        return sum(n for at, n in self.recent if now - at < DAY)

    def after_sync(self, names: Iterable[str], now: datetime) -> str:
        """What to store once `names` are synced."""
        names = frozenset(names)
        recent = [(at, n) for at, n in self.recent if now - at < DAY]
        if created := self.new_names(names):
            recent.append((now, created))
        return json.dumps(
            {
                "scope": self.scope,
                "names": sorted(names),
                "recent": [[at.isoformat(), n] for at, n in recent],
            }
        )


async def sync_commands(
    tree: app_commands.CommandTree[Any],
    core: Core,
    guild: discord.abc.Snowflake | None,
    *,
    force: bool = False,
) -> bool:
    """Sync when the command set (or its scope) differs from the last sync and the day's
    creations allow it (`force`, the operator's `sync`, skips both checks); True if it did."""
    payload = command_payload(tree, guild)
    digest = command_hash(payload, guild)
    if not force and await core.load_state(STATE_KEY) == digest:
        log.info("slash commands unchanged since the last sync; not syncing")
        return False
    names = [command["name"] for command in payload]
    creations = Creations.parse(await core.load_state(CREATES_KEY), scope_of(guild))
    now = core.clock()
    new, used = creations.new_names(names), creations.used(now)
    if not force and used + new > DAILY_CREATES:
        log.error(
            "slash commands not synced: %d new commands would pass Discord's %d creations a "
            "day (%d in the last 24 h); a later start or /reload syncs them",
            new,
            DAILY_CREATES,
            used,
        )
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
    await core.save_state(CREATES_KEY, creations.after_sync(names, now))
    where = f"guild {guild.id}" if guild else "all guilds (global; may take a while to show)"
    log.info("synced %d slash commands to %s", len(synced), where)
    return True
