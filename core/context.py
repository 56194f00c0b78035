"""What a handler works with: the store, the content, the comment rules, the clock, the command
list. Not the Core: handlers know nothing of adapters, the inbox or other processes, and a test
can hand them a Context of its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.actors import Actor, Request
from core.commands.registry import CommandRegistry, CommandSpec
from core.comments.service import CommentService
from core.config import Settings
from core.content.models import Library
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
        library: Library,
        clock: Callable[[], datetime],
        comments: CommentService,
        events: EventBus,
        conversations: Conversations,
        commands: CommandRegistry,
        is_moderator: Callable[[Actor], bool],
    ) -> None:
        self.settings = settings
        self.database = database
        self.library = library
        self.faq = FaqLibrary(library)
        self.clock = clock
        self.comments = comments
        self.events = events
        self.conversations = conversations
        self.commands = commands
        self.is_moderator = is_moderator
        # Replies of fixed content (summaries), built once and shared: the replay cache then
        # holds references, not a copy per reader.
        self._shared: dict[str, Reply] = {}

    @property
    def comment_limit(self) -> int:
        return self.settings.comment_rules.max_length

    def shared(self, key: str, build: Callable[[], Reply]) -> Reply:
        """The reply `build` makes for `key`, made once for the content's life."""
        if (built := self._shared.get(key)) is None:
            built = self._shared[key] = build()
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
