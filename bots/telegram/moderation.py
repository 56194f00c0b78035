"""Core events on Telegram: moderation cards in the moderators' chat, outcomes to authors."""

from __future__ import annotations

import logging

from telegram.error import BadRequest, Forbidden, TelegramError

from bots.telegram.extract import PLATFORM
from bots.telegram.send import Sender
from core.app import Core
from core.events import CommentDecided, CommentQueued, Event

log = logging.getLogger(__name__)


class ModerationRelay:
    """Subscribed to `core.events`; posts and edits moderation cards, notifies authors."""

    def __init__(self, core: Core, sender: Sender, moderation_chat_id: str | None) -> None:
        self.core = core
        self.sender = sender
        self.chat_id = _chat_id(moderation_chat_id) if moderation_chat_id else None

    async def __call__(self, event: Event) -> None:
        """Dispatch one core event (runs as its own task; failures are logged by the bus)."""
        if isinstance(event, CommentQueued):
            await self.post_card(event)
        elif isinstance(event, CommentDecided):
            await self.update_cards(event)
            await self.notify_author(event)

    async def post_card(self, event: CommentQueued) -> None:
        """Show a new comment to moderators with its Approve/Reject/Spam/Ban buttons."""
        if self.chat_id is None:
            return
        sent = await self.sender.send(self.chat_id, event.card)
        if sent:
            # The buttons sit on the last chunk: that is the message to edit later.
            last = sent[-1]
            await self.core.record_moderation_post(
                event.comment.id, PLATFORM, str(last.chat_id), str(last.message_id)
            )

    async def update_cards(self, event: CommentDecided) -> None:
        """Replace every Telegram card of the comment with the decided one (no buttons)."""
        for post in await self.core.moderation_posts(event.comment.id, PLATFORM):
            try:
                await self.sender.edit(
                    event.card, chat_id=_chat_id(post.chat_id), message_id=int(post.message_id)
                )
            except TelegramError as exc:
                log.warning("could not update moderation card %s: %s", post.message_id, exc)

    async def notify_author(self, event: CommentDecided) -> None:
        """Tell a Telegram author the outcome privately and record whether it arrived."""
        comment = event.comment
        if comment.author_platform != PLATFORM or event.author_notice is None:
            return
        try:
            await self.sender.send(_chat_id(comment.author_user_id), event.author_notice)
        except (Forbidden, BadRequest) as exc:
            # Blocked bot, deleted account, never started: /mycomments still shows the outcome.
            await self.core.record_delivery(comment.id, False, exc.message)
            return
        except TelegramError as exc:
            await self.core.record_delivery(comment.id, False, str(exc))
            raise
        await self.core.record_delivery(comment.id, True)


def _chat_id(value: str) -> int | str:
    try:
        return int(value)
    except ValueError:
        return value  # "@channelusername"
