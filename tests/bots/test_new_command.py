"""Adding a command is one handler on a router: it is then in /help, Telegram's menu, Discord's
slash commands and the console, and answers on each, with no adapter touched."""

from __future__ import annotations

import json

import discord.http
import pytest

from bots.telegram.run import TelegramAdapter
from core.actors import Actor, Request
from core.app import Core
from core.commands import Argument, Router
from core.context import Context
from core.handlers import ROUTERS
from core.replies import Reply
from core.replies.build import message
from tests.support.console import console_session
from tests.support.discord_api import FakeDiscord
from tests.support.discord_harness import Harness
from tests.support.discord_users import READER as DISCORD_READER
from tests.support.settings import NO_FLOOD, make_settings, telegram_settings
from tests.support.telegram_api import FakeBotApi
from tests.support.telegram_chat import Conversation, fast_limiter, text_of
from tests.support.telegram_users import READER as TELEGRAM_READER

extra = Router()


@extra.command("echo", "Say it back", Argument("words", "what to say", rest=True))
async def echo(ctx: Context, request: Request, args: str) -> Reply:
    """Say the words back, with who asked."""
    return message(f"echo: {args} ({request.actor.platform})")


WITH_ECHO = (*ROUTERS, extra)


async def test_help_lists_it(sqlite_url: str) -> None:
    core = await Core.open(make_settings(sqlite_url, comment_rules=NO_FLOOD), routers=WITH_ECHO)
    try:
        listed = await core.execute(Request(Actor("telegram", "1", "Ann")), "help")
        assert "/echo [words] — Say it back" in listed.reply.text
        assert core.registry.spec("echo") is not None
    finally:
        await core.close()


async def test_telegram_menu_and_answer(sqlite_url: str, api: FakeBotApi) -> None:
    core = await Core.open(make_settings(sqlite_url, comment_rules=NO_FLOOD), routers=WITH_ECHO)
    bot = TelegramAdapter(
        core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await bot.start()
    try:
        menu = api.commands[json.dumps({"type": "default"})]
        assert {"command": "echo", "description": "Say it back"} in menu
        said = await Conversation(api).say(TELEGRAM_READER, "/echo hello there")
        assert text_of(said) == "echo: hello there (telegram)"
    finally:
        await bot.stop()
        await core.close()


async def test_discord_slash_command_and_answer(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDiscord()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    core = await Core.open(make_settings(sqlite_url), routers=WITH_ECHO)
    harness = await Harness.start(fake, core)
    try:
        assert "echo" in {command.name for command in harness.client.tree.get_commands(
            guild=harness.client.command_guild
        )}  # fmt: skip
        result = await harness.send(harness.slash("echo", DISCORD_READER, words="hi"))
        assert "echo: hi (discord)" in result.texts()
    finally:
        await harness.close()
        await core.close()
        await fake.stop()


async def test_console_answer(sqlite_url: str) -> None:
    core = await Core.open(make_settings(sqlite_url, comment_rules=NO_FLOOD), routers=WITH_ECHO)
    written: list[str] = []
    session = console_session(core, written)
    try:
        await session.handle("/echo from the terminal")
        assert "echo: from the terminal (console)" in "\n".join(written)
    finally:
        await core.close()
