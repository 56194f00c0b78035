"""Core events on Telegram: moderation cards in the moderators' chat, outcomes to authors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from telegram.error import BadRequest, Forbidden, TelegramError

from bots.memory import Bounded
from bots.telegram.extract import PLATFORM
from bots.telegram.send import Sender
from core.app import Core
from core.comments.catch_up import CaughtUp
from core.comments.views import Status
from core.events import CommentDecided, CommentQueued, Event

log = logging.getLogger(__name__)

# Comment ids whose card this process posted (or is posting): a comment committed while the
# start-up catch-up runs may reach both paths, and must get one card.
CLAIMED_CARDS = 10_000


class ModerationRelay:
    """Subscribed to `core.events`; posts and edits moderation cards, notifies authors."""

    def __init__(self, core: Core, sender: Sender, moderation_chat_id: str | None) -> None:
        self.core = core
        self.sender = sender
        self.chat_id = _chat_id(moderation_chat_id) if moderation_chat_id else None
        self._claimed: Bounded[int, None] = Bounded(CLAIMED_CARDS)

    async def __call__(self, event: Event) -> None:
        """Dispatch one core event (runs as its own task; failures are logged by the bus)."""
        if isinstance(event, CommentQueued):
            await self.post_card(event)
        elif isinstance(event, CommentDecided):
            await self.update_cards(event)
            await self.notify_author(event)

    async def post_card(self, event: CommentQueued) -> None:
        """Show a new comment to moderators with its Approve/Reject/Spam/Ban buttons."""
        comment_id = event.comment.id
        if self.chat_id is None or comment_id in self._claimed:
            return
        async with self.core.delivering("card", PLATFORM, comment_id) as mine:
            if not mine:
                return  # another process (or path) is posting it
            if await self.core.moderation_posts(comment_id, PLATFORM):
                return  # posted meanwhile by another process
            self._claimed.put(comment_id, None)
            try:
                sent = await self.sender.send(self.chat_id, event.card, keep=True)
            except BaseException:
                self._claimed.pop(comment_id)  # not posted: the catch-up may try again
                raise
            if sent:
                # The buttons sit on the last chunk: that is the message to edit later.
                last = sent[-1]
                if not await self.core.record_moderation_post(
                    comment_id, PLATFORM, str(last.chat_id), str(last.message_id)
                ):
                    # Decided or erased while the card was on its way: bring it up to date.
                    await self.core.edit_missed_cards(PLATFORM, self._edit_cards)

    async def post_unposted(self) -> int:
        """At start-up: post the cards that never reached this chat (see the core)."""
        if self.chat_id is None:
            return 0
        return await self.core.post_missed_cards(
            PLATFORM,
            lambda event: _unless_unwell("post the card", event, self.post_card(event)),
            self._claimed.__contains__,
        )

    async def catch_up(self) -> CaughtUp:
        """At start-up: what a process that died owed Telegram (cards, then author notices)."""
        cards = await self.post_unposted()
        notices = await self.core.tell_missed_decisions(
            PLATFORM,
            lambda event: _unless_unwell("tell the author", event, self.notify_author(event)),
        )
        return CaughtUp(
            cards, notices, await self.core.edit_missed_cards(PLATFORM, self._edit_cards)
        )

    async def update_cards(self, event: CommentDecided) -> None:
        """Edit the comment's cards to show the decision (unless the catch-up is at it)."""
        await self.core.edit_cards(PLATFORM, event, self._edit_cards)

    async def _edit_cards(self, event: CommentDecided) -> None:
        """Replace every Telegram card of the comment with the decided one (no buttons), and
        record that they show it (else the catch-up tries again)."""
        edited = True
        for post in await self.core.moderation_posts(event.comment.id, PLATFORM):
            chat_id, message_id = _chat_id(post.chat_id), int(post.message_id)
            try:
                await self.sender.edit(event.card, chat_id=chat_id, message_id=message_id)
            except TelegramError as exc:
                if _gone(exc):
                    continue  # deleted by an admin: nothing left to show anything
                if event.comment.status is Status.ERASED and await self._delete(
                    chat_id, message_id
                ):
                    continue  # a card that still quotes an erased comment must not stay
                edited = False
                log.warning("could not update moderation card %s: %s", post.message_id, exc)
        if edited:
            await self.core.cards_show(event.comment.id, PLATFORM, event.comment.status)

    async def _delete(self, chat_id: int | str, message_id: int) -> bool:
        try:
            await self.sender.bot.delete_message(chat_id, message_id)
        except TelegramError as exc:
            if _gone(exc):
                return True
            log.warning("could not delete moderation card %s: %s", message_id, exc)
            return False
        return True

    async def notify_author(self, event: CommentDecided) -> None:
        """Tell a Telegram author the outcome privately (unless another process or path is
        telling them) and record whether it arrived."""
        if event.comment.author_platform != PLATFORM or event.author_notice is None:
            return
        await self.core.tell_author(PLATFORM, event, self._notify)

    async def _notify(self, event: CommentDecided) -> None:
        comment, notice = event.comment, event.author_notice
        if notice is None:
            return
        try:
            await self.sender.send(_chat_id(comment.author_user_id), notice)
        except (Forbidden, BadRequest) as exc:
            # Blocked bot, deleted account, never started: /mycomments shows the outcome.
            await self.core.record_delivery(comment.id, False, exc.message, comment.status)
            return
        except TelegramError as exc:
            await self.core.record_delivery(comment.id, False, str(exc), comment.status)
            raise
        await self.core.record_delivery(comment.id, True, told=comment.status)


async def _unless_unwell(what: str, event: Event, step: Awaitable[None]) -> bool:
    """Run a catch-up step; False (the rest waits for the next start) if Telegram is unwell."""
    try:
        await step
    except TelegramError as exc:
        log.warning("could not %s of comment %s: %s", what, event.comment.id, exc)
        return False
    return True


def _gone(exc: TelegramError) -> bool:
    """Telegram says the message is not there any more."""
    return isinstance(exc, BadRequest) and "not found" in exc.message.lower()


def _chat_id(value: str) -> int | str:
    try:
        return int(value)
    except ValueError:
        return value  # "@channelusername"
