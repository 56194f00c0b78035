"""Per update: extract who/where/what, call one core method, render what it returns."""

from __future__ import annotations

import logging

from telegram import (
    CallbackQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import InlineQueryLimit, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bots.telegram.commands import show_moderator_menu
from bots.telegram.deliver import Sender
from bots.telegram.extract import PLATFORM, parse_command, request_of
from bots.telegram.render import keyboard, plain_text, render
from core.actors import Request
from core.app import Core, InlineResult, Outcome
from core.conversation import Where
from core.replies import Reply
from core.replies.build import paragraph

log = logging.getLogger(__name__)

FRIENDLY_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
# Telegram shows at most 200 characters in a callback toast.
TOAST_LIMIT = 200
INLINE_RESULTS = 10

Context = ContextTypes.DEFAULT_TYPE


def _where(chat_id: int, request: Request) -> Where:
    return Where(PLATFORM, str(chat_id), request.actor.user_id)


class Handlers:
    """The adapter's update handlers around one core (prompts live in the core's store)."""

    def __init__(self, core: Core, sender: Sender, moderation_chat_id: str | None = None) -> None:
        self.core = core
        self.sender = sender
        self.moderation_chat_id = moderation_chat_id

    # Messages ------------------------------------------------------------------------------

    async def on_command(self, update: Update, context: Context) -> None:
        """Route any /command (registry or unknown) to the core; it answers unknown ones."""
        message = update.effective_message
        request = request_of(update)
        if message is None or request is None or not message.text:
            return
        command = parse_command(message.text, context.bot.username)
        if command is None:
            return
        # A new command abandons a pending prompt in this chat.
        await self.core.conversations.forget(_where(message.chat_id, request))
        outcome = await self.core.execute(request, command.name, command.args)
        await self._answer_message(message, request, outcome)
        started = command.name == "start" and request.is_private_chat and not outcome.replayed
        if started and self.core.is_moderator(request.actor):
            await show_moderator_menu(context.bot, self.core, request.actor)

    async def on_text(self, update: Update, context: Context) -> None:
        """Plain text: the answer to a prompt (ForceReply), or a question in a private chat."""
        message = update.effective_message
        request = request_of(update)
        if message is None or request is None or not message.text:
            return
        command = await self.core.conversations.take(_where(message.chat_id, request))
        if command is None:
            free_text = self.core.registry.free_text
            if not request.is_private_chat or free_text is None:
                return  # group chatter is not for us
            command = free_text.name
        outcome = await self.core.execute(request, command, message.text)
        await self._answer_message(message, request, outcome)

    async def _answer_message(self, message: Message, request: Request, outcome: Outcome) -> None:
        if not outcome.should_send:
            return  # the first delivery already answered
        async with self.core.delivering(outcome) as reply:
            if self._private_only(message, request, reply):
                await self._answer_privately(message, request, reply)
            else:
                thread = _thread(message, request)
                await self._send(message.chat_id, request, reply, reply_to=thread)

    def _private_only(self, message: Message, request: Request, reply: Reply) -> bool:
        """Whether the reply is for the actor alone (a moderator's queue, cards with ids, a
        reader's own comments) and was asked for in a group other than the moderators'."""
        if request.is_private_chat or not reply.ephemeral or reply.is_error:
            return False
        chat = message.chat
        names = {str(chat.id), f"@{chat.username}" if chat.username else ""}
        return self.moderation_chat_id not in names

    async def _answer_privately(self, message: Message, request: Request, reply: Reply) -> None:
        """Send to the actor's private chat; the group hears at most that it was sent."""
        if not await self._private(request, reply):
            link = f"https://t.me/{self.sender.bot.username}"
            said = (
                f"I answer that privately, but I can't message you yet: open {link}, press "
                "Start, then send the command again."
            )
        else:
            said = "I've answered you in a private message."
        note = Reply(blocks=(paragraph(said),))
        await self.sender.send(message.chat_id, note, reply_to=message.message_id)

    async def _send(
        self, chat_id: int, request: Request, reply: Reply, reply_to: int | None = None
    ) -> None:
        prompt = reply.awaits_text_for
        if prompt:
            await self.core.conversations.expect(_where(chat_id, request), prompt)
        await self.sender.send(chat_id, reply, reply_to=reply_to, force_reply=bool(prompt))

    # Buttons -------------------------------------------------------------------------------

    async def on_callback(self, update: Update, context: Context) -> None:
        """A button press: the core decides (and authorises); always answer the query."""
        query = update.callback_query
        request = request_of(update)
        if query is None or request is None:
            return
        answered = False
        try:
            if not query.data:
                return
            outcome = await self.core.press(request, query.data)
            if not outcome.should_send:
                return
            async with self.core.delivering(outcome) as reply:
                if reply.ephemeral:
                    toast = plain_text(reply, TOAST_LIMIT) or None
                    answered = await _answer(query, toast, reply)
                    if len(reply.text) > TOAST_LIMIT:
                        await self._private(request, reply)
                else:
                    answered = await _answer(query)
                    await self._show(query, request, reply)
        finally:
            if not answered:
                await _answer(query)

    async def _show(self, query: CallbackQuery, request: Request, reply: Reply) -> None:
        message = query.message
        if reply.edit_in_place and not reply.awaits_text_for:
            if message is not None:
                await self.sender.edit(
                    reply, chat_id=message.chat.id, message_id=message.message_id
                )
                return
            if query.inline_message_id is not None:
                await self.sender.edit(reply, inline_message_id=query.inline_message_id)
                return
        if message is not None:
            await self._send(message.chat.id, request, reply)
        else:
            await self._private(request, reply)

    async def _private(self, request: Request, reply: Reply) -> bool:
        """Send to the actor's private chat; False if Telegram won't let the bot write first
        (they never started it, or blocked it)."""
        try:
            await self._send(int(request.actor.user_id), request, reply)
        except (Forbidden, BadRequest) as exc:
            log.info("cannot message user privately: %s", exc.message)
            return False
        return True

    # Inline mode ---------------------------------------------------------------------------

    async def on_inline(self, update: Update, context: Context) -> None:
        """`@bot question` in any chat: matching FAQ answers, then each article's summary."""
        query = update.inline_query
        if query is None:
            return
        found = self.core.inline_results(query.query, limit=INLINE_RESULTS)
        results = [_article_result(result) for result in found]
        await query.answer(
            [r for r in results if r is not None][: InlineQueryLimit.RESULTS], cache_time=60
        )

    # Errors --------------------------------------------------------------------------------

    async def on_error(self, update: object, context: Context) -> None:
        """Log the failure and tell the user something friendly, never a traceback."""
        log.error("error while handling an update", exc_info=context.error)
        if not isinstance(update, Update):
            return
        if update.callback_query is not None:
            await _answer(update.callback_query, FRIENDLY_ERROR[:TOAST_LIMIT])
        chat = update.effective_chat
        if chat is None or update.inline_query is not None:
            return
        try:
            await context.bot.send_message(chat.id, FRIENDLY_ERROR)
        except TelegramError as exc:
            log.warning("could not tell the user about the error: %s", exc)


def _thread(message: Message, request: Request) -> int | None:
    # In groups the answer replies to the command so it is clear whom it answers.
    return None if request.is_private_chat else message.message_id


async def _answer(
    query: CallbackQuery, text: str | None = None, reply: Reply | None = None
) -> bool:
    """Stop the button's spinner; a query already answered (or too old) is not an error."""
    try:
        await query.answer(text, show_alert=bool(reply and reply.is_error and text))
    except BadRequest as exc:
        log.info("callback query %s not answered: %s", query.id, exc.message)
    return True


def _article_result(result: InlineResult) -> InlineQueryResultArticle | None:
    reply = result.reply
    rendered = render(reply)
    if not rendered.chunks:
        return None
    return InlineQueryResultArticle(
        id=result.id,
        title=result.title[:256],
        description=plain_text(reply, 120),
        input_message_content=InputTextMessageContent(
            rendered.chunks[0], parse_mode=ParseMode.HTML
        ),
        reply_markup=keyboard(reply),
    )
