"""Command and action handlers: a module per feature, each with a `router`.

Every module of this package that has a `router` is part of the bot, in the order below, then
by name: adding a command is adding a handler to a module here, or a module with a router.
"""

from __future__ import annotations

import importlib
import pkgutil

from core.commands import Router

# The order /help and the platforms' command menus list commands in; others follow by name.
FIRST = ("reading", "faq", "comments", "moderation")


def _routers() -> tuple[Router, ...]:
    names = [info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    ordered = [n for n in FIRST if n in names] + sorted(n for n in names if n not in FIRST)
    routers = []
    for name in ordered:
        router = getattr(importlib.import_module(f"{__name__}.{name}"), "router", None)
        if isinstance(router, Router):
            routers.append(router)
    return tuple(routers)


ROUTERS: tuple[Router, ...] = _routers()
