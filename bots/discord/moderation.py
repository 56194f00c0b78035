"""Core events on Discord: moderation cards in the moderation channel, outcomes DM'd to authors."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bots.discord.render import render, render_one
from bots.discord.respond import edit_kwargs, send_kwargs
from bots.memory import Bounded
from core.comments.catch_up import CaughtUp
from core.comments.views import Status
from core.events import CommentDecided, CommentQueued, Event

if TYPE_CHECKING:
    from core.app import Core

log = logging.getLogger(__name__)

PLATFORM = "discord"
# Comment ids whose card this client posted (or is posting): a comment committed while the
# start-up catch-up runs may reach both paths, and must get one card.
CLAIMED_CARDS = 10_000


class ModerationRelay:
    """Subscriber of `core.events` for one Discord client."""

    def __init__(self, client: discord.Client, core: Core) -> None:
        self.client = client
        self.core = core
        self._claimed: Bounded[int, None] = Bounded(CLAIMED_CARDS)

    async def __call__(self, event: Event) -> None:
        """Route a core event to the matching handler."""
        if isinstance(event, CommentQueued):
            await self.post_card(event)
        elif isinstance(event, CommentDecided):
            await self.update_cards(event)
            if event.comment.author_platform == PLATFORM and event.author_notice is not None:
                await self.tell_author(event)

    async def post_card(self, event: CommentQueued) -> None:
        """Post a new comment's card, with its buttons, to the moderation channel."""
        channel_id = self.core.settings.discord_moderation_channel_id
        comment_id = event.comment.id
        if not channel_id or comment_id in self._claimed:
            return
        async with self.core.delivering("card", PLATFORM, comment_id) as mine:
            if not mine or await self.core.moderation_posts(comment_id, PLATFORM):
                return  # another process (or path) posts it, or has posted it
            await self._post(event, channel_id)

    async def _post(self, event: CommentQueued, channel_id: str) -> None:
        comment_id = event.comment.id
        self._claimed.put(comment_id, None)
        channel = self.client.get_partial_messageable(int(channel_id))
        try:
            sent = await channel.send(**send_kwargs(render_one(event.card)))
        except BaseException:
            self._claimed.pop(comment_id)  # not posted: the catch-up may try again
            raise
        if not await self.core.record_moderation_post(
            comment_id, PLATFORM, channel_id, str(sent.id)
        ):
            # Decided or erased while the card was on its way: bring it up to date now.
            await self.core.edit_missed_cards(PLATFORM, self._edit_cards)

    async def post_unposted(self) -> int:
        """At start-up: post the cards that never reached the channel (see the core)."""
        if not self.core.settings.discord_moderation_channel_id:
            return 0
        return await self.core.post_missed_cards(
            PLATFORM, self._post_or_stop, self._claimed.__contains__
        )

    async def catch_up(self) -> CaughtUp:
        """At start-up: what a process that died owed Discord (cards, then author notices)."""
        cards = await self.post_unposted()
        notices = await self.core.tell_missed_decisions(PLATFORM, self._tell)
        edits = await self.core.edit_missed_cards(PLATFORM, self._edit_cards)
        return CaughtUp(cards, notices, edits)

    async def _tell(self, event: CommentDecided) -> bool:
        if event.author_notice is not None:
            await self.tell_author(event)  # records, never raises
        return True

    async def _post_or_stop(self, event: CommentQueued) -> bool:
        try:
            await self.post_card(event)
        except discord.HTTPException as exc:
            log.warning("could not post the card of comment %s: %s", event.comment.id, exc.status)
            return False  # Discord is unwell: the next start tries again
        return True

    async def update_cards(self, event: CommentDecided) -> None:
        """Edit the comment's cards to show the decision (unless the catch-up is at it)."""
        await self.core.edit_cards(PLATFORM, event, self._edit_cards)

    async def _edit_cards(self, event: CommentDecided) -> None:
        """Show the decision (and who made it) on every Discord card of the comment, and
        record that they show it (else the catch-up tries again)."""
        edited = True
        for post in await self.core.moderation_posts(event.comment.id, PLATFORM):
            channel = self.client.get_partial_messageable(int(post.chat_id))
            message = channel.get_partial_message(int(post.message_id))
            try:
                await message.edit(**edit_kwargs(render_one(event.card)))
            except discord.NotFound:
                continue  # deleted by an admin: nothing left to show anything
            except discord.HTTPException as exc:
                if event.comment.status is Status.ERASED and await _delete(message):
                    continue  # a card that still quotes an erased comment must not stay
                edited = False
                log.warning("could not update card %s of comment %s: %s", post.message_id,
                            event.comment.id, exc.status)  # fmt: skip
        if edited:
            await self.core.cards_show(event.comment.id, PLATFORM, event.comment.status)

    async def tell_author(self, event: CommentDecided) -> None:
        """DM the author the decision (unless another process or path is telling them);
        closed DMs (50007) are recorded, not raised."""
        await self.core.tell_author(PLATFORM, event, self._tell_author)

    async def _tell_author(self, event: CommentDecided) -> None:
        comment, notice = event.comment, event.author_notice
        if notice is None:
            return
        detail = ""
        try:
            channel = await self.client.create_dm(discord.Object(id=int(comment.author_user_id)))
            for message in render(notice):
                await channel.send(**send_kwargs(message))
        except discord.HTTPException as exc:
            delivered = False
            detail = f"{exc.code} {exc.text}".strip() if exc.code else f"HTTP {exc.status}"
        else:
            delivered = True
        await self.core.record_delivery(comment.id, delivered, detail, comment.status)


async def _delete(message: discord.PartialMessage) -> bool:
    try:
        await message.delete()
    except discord.NotFound:
        return True
    except discord.HTTPException as exc:
        log.warning("could not delete card %s: %s", message.id, exc.status)
        return False
    return True
