"""What a handler works with: the store, the content, the comment rules, the clock, the command
list. Not the Core: handlers know nothing of adapters, the inbox or other processes, and a test
can hand them a Context of its own.

The content (articles, FAQ index, commands, shared replies) is one `ContentState`: a reload
replaces it whole. Each request gets a `pinned()` Context, so it sees one state from start to
end even when a reload lands while it waits on the store."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from datetime import datetime

from core.actors import Actor, Request
from core.commands.registry import CommandRegistry, CommandSpec
from core.comments.service import CommentService
from core.config import Settings
from core.content.models import Library
from core.content.state import ContentChange, ContentState
from core.conversation import Conversations
from core.events import EventBus
from core.faq.library import FaqLibrary
from core.idempotency import Work, run_once
from core.outcome import Outcome
from core.replies import Reply
from core.store.engine import Database


class Context:
    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        content: ContentState,
        clock: Callable[[], datetime],
        comments: CommentService,
        events: EventBus,
        conversations: Conversations,
        is_moderator: Callable[[Actor], bool],
        reload_content: Callable[[], Awaitable[ContentChange]],
    ) -> None:
        self.settings = settings
        self.database = database
        # Swapped whole by a reload (one assignment); read through the properties below.
        self.content = content
        self.clock = clock
        self.comments = comments
        self.events = events
        self.conversations = conversations
        self.is_moderator = is_moderator
        self._reload_content = reload_content

    @property
    def library(self) -> Library:
        return self.content.library

    @property
    def faq(self) -> FaqLibrary:
        return self.content.faq

    @property
    def commands(self) -> CommandRegistry:
        return self.content.registry

    def pinned(self) -> Context:
        """This context with today's content held: what one request works with, so a reload
        during it changes nothing it sees (the live context takes the new content)."""
        return copy.copy(self)

    async def reload_content(self) -> ContentChange:
        """Read the content files again and serve them if they are good (in this process);
        raises ContentError, and the old content stays, if they are not."""
        return await self._reload_content()

    @property
    def comment_limit(self) -> int:
        return self.settings.comment_rules.max_length

    def shared(self, key: str, build: Callable[[], Reply]) -> Reply:
        """The reply `build` makes for `key`, made once for the content's life (a reload's new
        content starts with none)."""
        shared = self.content.shared
        if (built := shared.get(key)) is None:
            built = shared[key] = build()
        return built

    def commands_for(self, actor: Actor | None) -> list[CommandSpec]:
        moderator = actor is not None and self.is_moderator(actor)
        return self.commands.visible_to(moderator=moderator)

    async def once(self, request: Request, work: Work) -> Outcome:
        """Run a state change at most once per event key, then publish its events."""
        effect = await run_once(
            self.database, request.event_key, work, now=self.clock, actor_key=request.actor.key
        )
        if not effect.replayed:
            for event in effect.events:
                self.events.publish(event)
        return Outcome(
            effect.reply,
            replayed=effect.replayed,
            redeliver=effect.replayed and not effect.delivered,
            confirm_key=request.event_key if not effect.delivered else None,
        )
