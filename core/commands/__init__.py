"""The one command registry that /help and every adapter's command list come from, and the
routers each feature declares its commands and actions on."""

from __future__ import annotations

from core.commands.registry import Argument, Audience, CommandRegistry, CommandSpec, Handler
from core.commands.router import ActionRoute, ActionRouter, Router

__all__ = [
    "ActionRoute",
    "ActionRouter",
    "Argument",
    "Audience",
    "CommandRegistry",
    "CommandSpec",
    "Handler",
    "Router",
]
