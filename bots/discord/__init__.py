"""The Discord adapter: slash commands, the comment form and moderation buttons over the core."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bots.discord.run import NewsroomClient, run_discord

__all__ = ["NewsroomClient", "run_discord"]


def __getattr__(name: str) -> object:
    # Loaded on first use: reading `bots.discord.settings` must not import discord.py.
    if name in __all__:
        from bots.discord import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
