"""What the core tells adapters after a change: a new comment to moderate, a decision made,
an article to publish, new content loaded.

Handlers run as tasks after the unit of work has committed, so a slow platform never holds a
database transaction open. A failing handler is logged and does not affect others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.comments.views import CommentView
from core.relay.port import PostRef
from core.replies import Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommentQueued:
    """A comment awaits a moderator; `card` is the moderation message with its buttons."""

    comment: CommentView
    card: Reply


@dataclass(frozen=True, slots=True)
class CommentDecided:
    """A comment left the queue; `card` replaces the moderation message everywhere.

    `author_notice` is what the author should be told (None when they need not be, e.g. they
    withdrew it themselves); the relay tells them on `comment.author_platform`. `shown` is the
    card whose button made the decision: the press's answer already edited it.
    """

    comment: CommentView
    card: Reply
    author_notice: Reply | None
    shown: PostRef | None = None


@dataclass(frozen=True, slots=True)
class PublishRequested:
    """An article is to be posted to every announce target (`publication_id` names the
    round); `requester_key` (an actor key) is told how it went, None when no one asked."""

    publication_id: int
    slug: str
    requester_key: str | None = None


@dataclass(frozen=True, slots=True)
class CountChanged:
    """The article's approved comments changed other than by a decision (an erasure): its
    published cards must show the new count."""

    slug: str


@dataclass(frozen=True, slots=True)
class ContentReloaded:
    """New content is being served (`/reload`, SIGHUP): articles by slug, in file order.

    `commands_changed` says the command definitions differ (an article added or removed, a
    title changed): menus and Discord's slash commands must follow. An article whose text
    changed but not its command leaves it False.
    """

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    commands_changed: bool


CommentEvent = CommentQueued | CommentDecided
Event = CommentQueued | CommentDecided | PublishRequested | CountChanged | ContentReloaded
Subscriber = Callable[[Event], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop calling `subscriber` (an adapter that stops); unknown ones are ignored."""
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def publish(self, event: Event) -> None:
        for subscriber in self._subscribers:
            task = asyncio.create_task(self._run(subscriber, event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every handler started so far has finished (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @staticmethod
    async def _run(subscriber: Subscriber, event: Event) -> None:
        try:
            await subscriber(event)
        except Exception:
            log.exception("event handler %r failed for %s", subscriber, type(event).__name__)
