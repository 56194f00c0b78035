"""Command and action handlers, a module (and a router) per feature."""

from __future__ import annotations

from core.commands import Router
from core.handlers import comments, faq, moderation, reading

# The order /help and the platforms' command menus list commands in.
ROUTERS: tuple[Router, ...] = (reading.router, faq.router, comments.router, moderation.router)
