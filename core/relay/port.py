"""The platform port: what the core asks of every adapter to reach people outside a reply.

An adapter implements `Platform` for its platform; the core's relay (core.relay) uses it to
post moderation cards and article cards, bring them up to date, delete them, and tell authors.
Replies to a message or a press are not the port's: the adapter sends those itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.replies import Reply


@dataclass(frozen=True, slots=True)
class PostRef:
    """Where a message the bot posted is: enough to edit or delete it later."""

    platform: str
    chat_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """Whether a notice reached the person, and the platform's word when it did not."""

    delivered: bool
    detail: str = ""


class PortError(Exception):
    """The platform refused this one thing (a message it won't edit, a chat it won't post to);
    `detail` is its reason, for logs and moderators."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class MessageGone(PortError):
    """The message is not there any more (deleted by an admin, or its chat is gone)."""


class PlatformUnwell(PortError):
    """The platform is down or refusing everything for now: try again later, not now."""


class Platform(Protocol):
    """One platform as the core's relay sees it."""

    @property
    def name(self) -> str:
        """`telegram`, `discord`, `console`: the `Actor.platform` of its people."""
        ...

    @property
    def moderation_target(self) -> str | None:
        """Where moderation cards go (a chat or channel id), or None for no cards here."""
        ...

    @property
    def announce_targets(self) -> tuple[str, ...]:
        """Where `/publish` posts article cards (channels, groups), as the settings name them."""
        ...

    @property
    def posts_once_per_key(self) -> bool:
        """Whether `post(..., once_key=k)` posted again with the same `k` (within minutes)
        returns the first message instead of a second one (Discord's enforced nonce), so a
        post a dead process may have made can safely be made again."""
        ...

    async def post(
        self, target: str, reply: Reply, *, broadcast: bool = False, once_key: str | None = None
    ) -> PostRef:
        """Post `reply` to `target`; the reference is to the message carrying its buttons.
        `broadcast`: a card for everyone in a channel, whose buttons must work for any reader
        (e.g. links into a private chat where a channel can't hold a conversation).
        `once_key` (at most 25 characters): see `posts_once_per_key`."""
        ...

    async def edit(self, post: PostRef, reply: Reply, *, broadcast: bool = False) -> None:
        """Make the posted message show `reply`; one that already does is not an error.
        Raises MessageGone, PortError or PlatformUnwell."""
        ...

    async def delete(self, post: PostRef) -> None:
        """Delete the posted message; one already gone is not an error. Raises PortError or
        PlatformUnwell."""
        ...

    async def notify(self, user_id: str, reply: Reply) -> Delivery:
        """Send `reply` to the person privately. A person who can't be reached (blocked the
        bot, closed DMs) is a Delivery that says so; raises PlatformUnwell."""
        ...
