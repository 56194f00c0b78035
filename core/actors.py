"""Who is acting, as the adapter saw it; the core alone decides what they may do."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.relay.port import PostRef


@dataclass(frozen=True, slots=True)
class Actor:
    """A person on a platform: identity plus what the platform says of their roles."""

    platform: str  # "telegram", "discord", "console"
    user_id: str
    display_name: str
    role_ids: frozenset[str] = field(default_factory=frozenset)
    # The platform hides who this is behind a shared identity (Telegram's anonymous group
    # admins, someone posting as a channel): everyone behind it would be one actor, so it may
    # read but not comment, act on "its own" comments, or moderate.
    anonymous: bool = False

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Request:
    """One event from an adapter: who, where, and the key that makes a replay harmless."""

    actor: Actor
    chat_id: str = ""
    # Platform + update/interaction/message id. A state-changing call with a key already seen
    # returns the first outcome instead of acting again.
    event_key: str | None = None
    is_private_chat: bool = True
    # The message whose button was pressed, when it was one the bot can edit later.
    message: PostRef | None = None
