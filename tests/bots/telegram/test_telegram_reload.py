"""/reload on Telegram: a moderator loads a new article file, the menus follow (readers' and
moderators' scopes), and readers' /townhall is answered; a reader may not reload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bots.telegram.run import TelegramAdapter
from core.app import Core
from core.config import Settings
from tests.support.content import add_townhall, content_copy, rewrite
from tests.support.settings import NO_FLOOD, make_settings
from tests.support.telegram_api import Call, FakeBotApi
from tests.support.telegram_chat import Conversation, text_of
from tests.support.telegram_users import MOD, MOD_CHAT, MOD_ID, READER

DEFAULT = json.dumps({"type": "default"})
MODERATOR_PRIVATE = json.dumps({"chat_id": MOD_ID, "type": "chat"}, sort_keys=True)
MODERATOR_IN_CHAT = json.dumps(
    {"chat_id": MOD_CHAT, "type": "chat_member", "user_id": MOD_ID}, sort_keys=True
)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return content_copy(tmp_path / "content")


@pytest.fixture
def settings(sqlite_url: str, content: Path) -> Settings:
    """The conftest's Core settings, on a content directory the test may change."""
    return make_settings(sqlite_url, comment_rules=NO_FLOOD, content_dir=content)


def menus(api: FakeBotApi, after: int = 0) -> list[Call]:
    return [c for c in api.calls[after:] if c.method == "setMyCommands" and c.ok]


def names(api: FakeBotApi, scope: str) -> set[str]:
    return {command["command"] for command in api.commands[scope]}


async def test_a_moderator_reloads_and_the_menus_and_the_command_follow(
    chat: Conversation, api: FakeBotApi, content: Path, tg_core: Core
) -> None:
    assert "townhall" not in names(api, DEFAULT)
    add_townhall(content)
    mark = len(api.calls)

    answer = text_of(await chat.say(MOD, "/reload"))

    assert answer == "Reloaded: added /townhall. The command menus follow."
    await tg_core.events.drain()
    scopes = {json.dumps(c.params.get("scope") or {"type": "default"}, sort_keys=True)
              for c in menus(api, mark)}  # fmt: skip
    assert {DEFAULT, MODERATOR_PRIVATE, MODERATOR_IN_CHAT} <= scopes
    for scope in (DEFAULT, MODERATOR_PRIVATE, MODERATOR_IN_CHAT):
        assert "townhall" in names(api, scope)
    assert "reload" in names(api, MODERATOR_PRIVATE) and "reload" not in names(api, DEFAULT)

    reader = text_of(await chat.say(READER, "/townhall"))
    assert "Sample Town Hall Reopens" in reader and "A fictional article" in reader


async def test_a_changed_text_is_served_without_touching_the_menus(
    chat: Conversation, api: FakeBotApi, content: Path, tg_core: Core
) -> None:
    rewrite(content / "stargate.toml", "OpenAI announces Stargate", "Edited: Stargate")
    mark = len(api.calls)
    assert text_of(await chat.say(MOD, "/reload")) == "Reloaded: changed /stargate."
    await tg_core.events.drain()
    assert menus(api, mark) == []
    assert "Edited: Stargate" in text_of(await chat.say(READER, "/stargate"))


async def test_a_reader_may_not_reload(
    chat: Conversation, api: FakeBotApi, content: Path, tg_core: Core
) -> None:
    add_townhall(content)
    mark = len(api.calls)
    assert text_of(await chat.say(READER, "/reload")) == "/reload is for moderators only."
    await tg_core.events.drain()
    assert menus(api, mark) == []
    assert "I don't know the command /townhall" in text_of(await chat.say(READER, "/townhall"))


async def test_bad_content_is_explained_to_the_moderator(
    chat: Conversation, content: Path
) -> None:
    (content / "broken.toml").write_text('slug = "broken"\n')
    answer = text_of(await chat.say(MOD, "/reload"))
    assert "Not reloaded" in answer
    assert f"{content / 'broken.toml'}: title: is missing" in answer
    assert "Stargate" in text_of(await chat.say(READER, "/stargate"))


async def test_a_stopped_adapter_no_longer_follows_reloads(
    api: FakeBotApi, adapter: TelegramAdapter, tg_core: Core, content: Path
) -> None:
    await adapter.stop()
    add_townhall(content)
    mark = len(api.calls)
    await tg_core.reload_content()
    await tg_core.events.drain()
    assert menus(api, mark) == []
