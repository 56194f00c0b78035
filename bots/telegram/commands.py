"""Command menus from the core's registry: readers everywhere, the full list for moderators."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    BotCommandScopeChatMember,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError

from bots.telegram.extract import PLATFORM
from core.actors import Actor
from core.app import Core
from core.commands import CommandSpec

log = logging.getLogger(__name__)

# Telegram shows at most 100 commands per scope.
MAX_COMMANDS = 100


def bot_commands(specs: Iterable[CommandSpec]) -> list[BotCommand]:
    return [BotCommand(spec.name, spec.description[:256]) for spec in specs][:MAX_COMMANDS]


async def sync_commands(
    bot: Bot, core: Core, moderator_ids: Iterable[str], moderation_chat_id: str | None = None
) -> None:
    """Readers' menu by default; the full menu for each moderator, privately and in the
    moderation chat (the core still authorises every command, whatever the menu shows)."""
    await bot.set_my_commands(
        bot_commands(core.commands_for(None)), scope=BotCommandScopeDefault()
    )
    for user_id in moderator_ids:
        actor = Actor(platform=PLATFORM, user_id=str(user_id), display_name="")
        commands = bot_commands(core.commands_for(actor))
        try:
            scopes: list[BotCommandScope] = [BotCommandScopeChat(int(user_id))]
            if moderation_chat_id:
                scopes.append(BotCommandScopeChatMember(int(moderation_chat_id), int(user_id)))
        except ValueError:
            log.warning("moderator id %r is not a Telegram user id", user_id)
            continue
        for scope in scopes:
            try:
                await bot.set_my_commands(commands, scope=scope)
            except TelegramError as exc:
                # Telegram knows a chat only once the moderator has started the bot / joined.
                log.warning("moderator menu for %s not set: %s", user_id, exc)


async def show_moderator_menu(bot: Bot, core: Core, actor: Actor) -> None:
    """A moderator's private menu, once they have started the bot (before that Telegram
    refuses a chat scope for them, so the start-up sync may have missed it)."""
    try:
        await bot.set_my_commands(
            bot_commands(core.commands_for(actor)), scope=BotCommandScopeChat(int(actor.user_id))
        )
    except (TelegramError, ValueError) as exc:
        log.warning("moderator menu for %s not set: %s", actor.user_id, exc)
