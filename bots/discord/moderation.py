"""Core events on Discord: moderation cards in the moderation channel, outcomes DM'd to authors."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bots.discord.render import render, render_one
from bots.discord.respond import edit_kwargs, send_kwargs
from core.events import CommentDecided, CommentQueued, Event

if TYPE_CHECKING:
    from core.app import Core
    from core.comments.views import CommentView
    from core.replies import Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"


class ModerationRelay:
    """Subscriber of `core.events` for one Discord client."""

    def __init__(self, client: discord.Client, core: Core) -> None:
        self.client = client
        self.core = core

    async def __call__(self, event: Event) -> None:
        """Route a core event to the matching handler."""
        if isinstance(event, CommentQueued):
            await self.post_card(event)
        elif isinstance(event, CommentDecided):
            await self.update_cards(event)
            if event.comment.author_platform == PLATFORM and event.author_notice is not None:
                await self.tell_author(event.comment, event.author_notice)

    async def post_card(self, event: CommentQueued) -> None:
        """Post a new comment's card, with its buttons, to the moderation channel."""
        channel_id = self.core.settings.discord_moderation_channel_id
        if not channel_id:
            return
        channel = self.client.get_partial_messageable(int(channel_id))
        sent = await channel.send(**send_kwargs(render_one(event.card)))
        await self.core.record_moderation_post(
            event.comment.id, PLATFORM, channel_id, str(sent.id)
        )

    async def update_cards(self, event: CommentDecided) -> None:
        """Show the decision (and who made it) on every Discord card of the comment."""
        for post in await self.core.moderation_posts(event.comment.id, PLATFORM):
            channel = self.client.get_partial_messageable(int(post.chat_id))
            message = channel.get_partial_message(int(post.message_id))
            try:
                await message.edit(**edit_kwargs(render_one(event.card)))
            except discord.HTTPException as exc:
                log.warning("could not update card %s of comment %s: %s", post.message_id,
                            event.comment.id, exc.status)  # fmt: skip

    async def tell_author(self, comment: CommentView, notice: Reply) -> None:
        """DM the author the decision; closed DMs (50007) are recorded, not raised."""
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
        await self.core.record_delivery(comment.id, delivered, detail)
