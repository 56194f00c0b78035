"""Discord as the core's relay sees it (core.relay.port): cards in the moderation channel,
article cards in the announce channels, notices in authors' DMs."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord

from bots.discord.deliver import edit_kwargs, send_kwargs
from bots.discord.extract import PLATFORM
from bots.discord.render import render, render_one
from core.relay.port import Delivery, MessageGone, PlatformUnwell, PortError, PostRef
from core.replies import Reply

log = logging.getLogger(__name__)


class DiscordPlatform:
    def __init__(
        self,
        client: discord.Client,
        moderation_channel_id: str | None,
        announce_channel_ids: Sequence[str] = (),
    ) -> None:
        self.client = client
        self.name = PLATFORM
        # Where moderation cards go; None: no cards on this platform.
        self.moderation_target = moderation_channel_id or None
        self.announce_targets = tuple(announce_channel_ids)
        # A message sent with a nonce Discord enforces is sent once per nonce (for minutes).
        self.posts_once_per_key = True

    async def post(
        self, target: str, reply: Reply, *, broadcast: bool = False, once_key: str | None = None
    ) -> PostRef:
        channel = self.client.get_partial_messageable(int(target))
        try:
            kwargs = send_kwargs(render_one(reply))
            if once_key is not None:
                kwargs["nonce"] = once_key
            sent = await channel.send(**kwargs)
        except discord.HTTPException as exc:
            raise _port_error(exc) from exc
        if broadcast:
            await self._crosspost(sent)
        return PostRef(PLATFORM, target, str(sent.id))

    async def _crosspost(self, sent: discord.Message) -> None:
        """In an announcement channel, publish the card to the servers following it."""
        try:
            channel = await self.client.fetch_channel(sent.channel.id)
            if isinstance(channel, discord.TextChannel) and channel.is_news():
                await sent.publish()
        except discord.HTTPException as exc:
            # The card is posted; followers miss it. Not worth failing the publication.
            log.warning("could not crosspost %s: %s", sent.id, _detail(exc))

    async def edit(self, post: PostRef, reply: Reply, *, broadcast: bool = False) -> None:
        try:
            await self._message(post).edit(**edit_kwargs(render_one(reply)))
        except discord.HTTPException as exc:
            raise _port_error(exc) from exc

    async def delete(self, post: PostRef) -> None:
        try:
            await self._message(post).delete()
        except discord.NotFound:
            return
        except discord.HTTPException as exc:
            raise _port_error(exc) from exc

    async def notify(self, user_id: str, reply: Reply) -> Delivery:
        try:
            channel = await self.client.create_dm(discord.Object(id=int(user_id)))
            for message in render(reply):
                await channel.send(**send_kwargs(message))
        except discord.HTTPException as exc:
            if exc.status >= 500:
                raise PlatformUnwell(_detail(exc)) from exc
            return Delivery(False, _detail(exc))  # closed DMs (50007), left the server
        return Delivery(True)

    def _message(self, post: PostRef) -> discord.PartialMessage:
        channel = self.client.get_partial_messageable(int(post.chat_id))
        return channel.get_partial_message(int(post.message_id))


def _detail(exc: discord.HTTPException) -> str:
    return f"{exc.code} {exc.text}".strip() if exc.code else f"HTTP {exc.status}"


def _port_error(exc: discord.HTTPException) -> PortError:
    if isinstance(exc, discord.NotFound):
        return MessageGone(_detail(exc))
    if exc.status >= 500 or exc.status == 429:
        return PlatformUnwell(_detail(exc))
    return PortError(_detail(exc))
