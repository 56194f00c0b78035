"""The Discord adapter: slash commands, the comment form and moderation buttons over the core."""

from __future__ import annotations

from bots.discord.run import NewsroomClient, run_discord

__all__ = ["NewsroomClient", "run_discord"]
