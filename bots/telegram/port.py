"""Telegram as the core's relay sees it (core.relay.port): cards in the moderators' chat,
article cards in the announce channels, notices in authors' private chats."""

from __future__ import annotations

from collections.abc import Sequence

from telegram.error import BadRequest, Forbidden, TelegramError

from bots.telegram.deliver import Sender
from bots.telegram.extract import PLATFORM
from core.publishing.deep_links import as_links
from core.relay.port import Delivery, MessageGone, PlatformUnwell, PortError, PostRef
from core.replies import Reply


class TelegramPlatform:
    def __init__(
        self, sender: Sender, moderation_chat_id: str | None, announce_chat_ids: Sequence[str] = ()
    ) -> None:
        self.sender = sender
        self.name = PLATFORM
        # Where moderation cards go; None: no cards on this platform.
        self.moderation_target = moderation_chat_id or None
        # Telegram takes no idempotency key: a post is never known to be made only once.
        self.posts_once_per_key = False
        self.announce_targets = tuple(announce_chat_ids)

    def _for_everyone(self, reply: Reply) -> Reply:
        """A channel can't hold a conversation: its buttons open the bot's private chat."""
        bot = self.sender.bot.username
        return as_links(reply, lambda payload: f"https://t.me/{bot}?start={payload}")

    async def post(
        self, target: str, reply: Reply, *, broadcast: bool = False, once_key: str | None = None
    ) -> PostRef:
        if broadcast:
            reply = self._for_everyone(reply)
        try:
            sent = await self.sender.send(chat_id(target), reply, keep=True)
        except TelegramError as exc:
            raise _port_error(exc) from exc
        if not sent:
            raise PortError("nothing to post")
        # The buttons sit on the last chunk: that is the message to edit later.
        last = sent[-1]
        return PostRef(PLATFORM, str(last.chat_id), str(last.message_id))

    async def edit(self, post: PostRef, reply: Reply, *, broadcast: bool = False) -> None:
        if broadcast:
            reply = self._for_everyone(reply)
        try:
            await self.sender.edit(
                reply, chat_id=chat_id(post.chat_id), message_id=int(post.message_id)
            )
        except TelegramError as exc:
            raise _port_error(exc) from exc

    async def delete(self, post: PostRef) -> None:
        try:
            await self.sender.bot.delete_message(chat_id(post.chat_id), int(post.message_id))
        except TelegramError as exc:
            error = _port_error(exc)
            if not isinstance(error, MessageGone):
                raise error from exc

    async def notify(self, user_id: str, reply: Reply) -> Delivery:
        try:
            await self.sender.send(chat_id(user_id), reply)
        except (Forbidden, BadRequest) as exc:
            # Blocked bot, deleted account, never started: /mycomments shows the outcome.
            return Delivery(False, exc.message)
        except TelegramError as exc:
            raise PlatformUnwell(str(exc)) from exc
        return Delivery(True)


def _port_error(exc: TelegramError) -> PortError:
    if isinstance(exc, BadRequest) and "not found" in exc.message.lower():
        return MessageGone(exc.message)
    if isinstance(exc, (Forbidden, BadRequest)):
        return PortError(exc.message)
    return PlatformUnwell(str(exc))  # network, timeouts, flood control, 5xx


def chat_id(value: str) -> int | str:
    """A Telegram chat id as the Bot API takes it: a number, or "@channelusername"."""
    try:
        return int(value)
    except ValueError:
        return value
