"""Delivering rendered replies: send, edit in place, ForceReply prompts, documents."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.warnings import PTBUserWarning

from bots.telegram.render import Rendered, render
from core.memory import Bounded
from core.replies import Reply

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
RENDERED_CACHE = 256


def allow_raw_requests() -> None:
    """Silence PTB's advice to use Bot.get_updates / Bot.send_message for the raw requests the
    adapter makes on purpose (their answers are not read into objects).

    Called when a Sender is made, not at import: a filter added while pytest collects is
    dropped before tests run."""
    warnings.filterwarnings(
        "ignore",
        message=r"Please use 'Bot\.(getUpdates|sendMessage)'",
        category=PTBUserWarning,
    )


def not_modified(exc: BadRequest) -> bool:
    """Telegram refuses an edit that changes nothing: a double press, not a failure."""
    return "not modified" in exc.message.lower()


class Sender:
    """Sends core replies through one bot; the bot's rate limiter paces and retries."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        allow_raw_requests()
        # The core shares one reply object per piece of fixed content (FAQ answers, summaries):
        # render each once. Keyed by identity; the entry keeps the reply alive, so no reuse.
        self._rendered: Bounded[int, tuple[Reply, Rendered]] = Bounded(RENDERED_CACHE)

    def render(self, reply: Reply) -> Rendered:
        """The reply as Telegram HTML chunks and keyboard, from the cache when seen before."""
        hit = self._rendered.get(id(reply))
        if hit is not None and hit[0] is reply:
            return hit[1]
        rendered = render(reply)
        self._rendered.put(id(reply), (reply, rendered))
        return rendered

    async def send(
        self,
        chat_id: int | str,
        reply: Reply,
        *,
        reply_to: int | None = None,
        force_reply: bool = False,
        keep: bool = False,
    ) -> list[Message]:
        """Send every chunk (keyboard or ForceReply on the last), then any attachments.

        The sent messages are returned only with `keep` (a card whose id is recorded): reading
        Telegram's answer into Message objects costs about as much as the request itself, and
        a reply to a reader needs none of it.
        """
        rendered = self.render(reply)
        sent: list[Message] = []
        for index, chunk in enumerate(rendered.chunks):
            last = index == len(rendered.chunks) - 1
            markup: InlineKeyboardMarkup | ForceReply | None = rendered.markup if last else None
            if last and force_reply and markup is None:
                markup = ForceReply(selective=True)
            threaded = _reply_to(reply_to) if index == 0 else None
            if not keep:
                await self._send_unread(chat_id, chunk, markup, threaded)
                continue
            sent.append(
                await self.bot.send_message(
                    chat_id,
                    chunk,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                    reply_parameters=threaded,
                )
            )
        for attachment in reply.attachments:
            sent.append(
                await self.bot.send_document(
                    chat_id,
                    InputFile(attachment.content, filename=attachment.filename),
                    reply_parameters=_reply_to(reply_to) if not sent else None,
                )
            )
        return sent

    async def _send_unread(
        self,
        chat_id: int | str,
        text: str,
        markup: InlineKeyboardMarkup | ForceReply | None,
        reply_parameters: ReplyParameters | None,
    ) -> None:
        """sendMessage with the same parameters as Bot.send_message, its answer left unread."""
        parameters: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": ParseMode.HTML,
            "link_preview_options": NO_PREVIEW,
        }
        if markup is not None:
            parameters["reply_markup"] = markup
        if reply_parameters is not None:
            parameters["reply_parameters"] = reply_parameters
        await self.bot.do_api_request("sendMessage", api_kwargs=parameters)

    async def edit(
        self,
        reply: Reply,
        *,
        chat_id: int | str | None = None,
        message_id: int | None = None,
        inline_message_id: str | None = None,
    ) -> None:
        """Replace a message with the reply; chunks beyond the first follow as new messages."""
        rendered = self.render(reply)
        if not rendered.chunks:
            return
        single = len(rendered.chunks) == 1
        try:
            await self.bot.edit_message_text(
                rendered.chunks[0],
                chat_id=chat_id,
                message_id=message_id,
                inline_message_id=inline_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.markup if single else None,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if not not_modified(exc):
                raise
        if single or chat_id is None:
            return
        rest = rendered.chunks[1:]
        for index, chunk in enumerate(rest):
            await self.bot.send_message(
                chat_id,
                chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.markup if index == len(rest) - 1 else None,
                link_preview_options=NO_PREVIEW,
            )


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    # The original may be gone by the time we answer; the answer matters more than the thread.
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)
