"""Who calls the Core directly (readers, moderators, the operator), and requests on their part."""

from __future__ import annotations

import itertools

from core.actors import Actor, Request

# Moderators here are moderators by the ids and the role that `settings.make_settings` grants.
READER = Actor("telegram", "501", "Ada Reader")
OTHER_READER = Actor("discord", "601", "Bo Reader")
MODERATOR = Actor("telegram", "1001", "Mia Moderator")
DISCORD_MODERATOR = Actor("discord", "9999", "Role Mod", role_ids=frozenset({"777"}))
OPERATOR = Actor("console", "operator", "Operator")

_event_ids = itertools.count(1)


def request_for(actor: Actor, *, key: str | None = "auto", chat_id: str = "chat") -> Request:
    """A request with a fresh event key unless one is given (None for no key)."""
    event_key = f"test:{next(_event_ids)}" if key == "auto" else key
    return Request(actor=actor, chat_id=chat_id, event_key=event_key)
