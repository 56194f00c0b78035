"""The one command registry that /help and every adapter's command list come from."""

from __future__ import annotations

from core.commands.registry import Argument, Audience, CommandRegistry, CommandSpec, Handler

__all__ = ["Argument", "Audience", "CommandRegistry", "CommandSpec", "Handler"]
