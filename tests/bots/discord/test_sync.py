"""Slash commands from the registry, synced only when they changed or when asked to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bots.discord.__main__ import main, sync_and_exit
from bots.discord.run import Sync
from bots.discord.sync import STATE_KEY
from core.app import Core
from core.commands import Audience, CommandSpec
from core.replies.build import message
from tests.support.discord_api import APP_ID, GUILD_ID, FakeDiscord
from tests.support.discord_harness import OpenCore, StartHarness
from tests.support.settings import discord_settings, make_settings

GUILD_PUT = f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"
GLOBAL_PUT = f"/applications/{APP_ID}/commands"


def puts(fake: FakeDiscord) -> list[str]:
    return [r.path for r in fake.requests if r.method == "PUT"]


async def test_commands_are_generated_from_the_registry(
    core: Core, start: StartHarness, fake: FakeDiscord
) -> None:
    await start(core)
    [put] = [r for r in fake.requests if r.method == "PUT"]
    assert put.path == GUILD_PUT  # DISCORD_GUILD_ID set: guild-scoped, instant
    by_name = {c["name"]: c for c in put.body}
    assert sorted(by_name) == sorted(spec.name for spec in core.registry)
    for spec in core.registry:
        command = by_name[spec.name]
        assert 1 <= len(command["description"]) <= 100
        wanted = 8192 if spec.audience is Audience.MODERATOR else None  # manage_messages
        permissions = command["default_member_permissions"]
        assert (None if permissions is None else int(permissions)) == wanted
    assert by_name["comment"]["options"] == []  # opens a modal instead
    [question] = by_name["faq"]["options"]
    assert question["autocomplete"] is True
    [section] = by_name["stargate"]["options"]
    assert section["type"] == 4 and not section["required"]
    [number, reason] = by_name["reject"]["options"]
    assert (number["name"], number["required"], reason["required"]) == ("comment", True, False)


async def test_sync_is_skipped_when_nothing_changed(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord
) -> None:
    core = await open_core()
    first = await start(core)
    assert puts(fake) == [GUILD_PUT]
    assert re.fullmatch(
        rf"guild:{GUILD_ID}:[0-9a-f]{{64}}", await core.load_state(STATE_KEY) or ""
    )
    await first.close()

    await start(await open_core())  # a restart with the same commands
    assert puts(fake) == [GUILD_PUT]


async def test_sync_happens_when_the_command_set_changes(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord
) -> None:
    await (await start(await open_core())).close()
    core = await open_core()

    async def extra(request: object, args: str) -> object:
        return message("extra")

    core.registry.add(CommandSpec("extra", "A new command"), extra)  # type: ignore[arg-type]
    await start(core)
    assert puts(fake) == [GUILD_PUT, GUILD_PUT]
    assert "extra" in {c["name"] for c in fake.commands[str(GUILD_ID)]}


async def test_sync_happens_when_the_scope_changes(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord
) -> None:
    await (await start(await open_core())).close()
    await start(await open_core(), settings=discord_settings(guild_id=None))
    assert puts(fake) == [GUILD_PUT, GLOBAL_PUT]


async def test_forced_sync_and_never(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord
) -> None:
    await (await start(await open_core())).close()
    await (await start(await open_core(), sync=Sync.FORCE)).close()
    assert puts(fake) == [GUILD_PUT, GUILD_PUT]
    await start(await open_core(), sync=Sync.NEVER, settings=discord_settings(guild_id=None))
    assert puts(fake) == [GUILD_PUT, GUILD_PUT]


async def test_python_m_bots_discord_sync_syncs_and_exits(
    sqlite_url: str, fake: FakeDiscord, open_core: OpenCore
) -> None:
    await sync_and_exit(make_settings(sqlite_url), discord_settings())
    await sync_and_exit(make_settings(sqlite_url), discord_settings())
    assert puts(fake) == [GUILD_PUT, GUILD_PUT]
    core = await open_core()
    assert await core.load_state(STATE_KEY)


@pytest.mark.parametrize("argv", [["nonsense"], ["sync", "extra"], [], ["sync"]])
def test_main_refuses_unknown_arguments_and_a_missing_token(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert main(argv) == 2
    expected = "DISCORD_BOT_TOKEN is not set" if argv in ([], ["sync"]) else "usage"
    assert expected in capsys.readouterr().err


async def test_a_refused_sync_is_logged_and_retried_at_the_next_start(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.refuse_commands = True
    core = await open_core()
    bot = await start(core)  # still starts and answers
    assert "applications.commands" in caplog.text
    assert await core.load_state(STATE_KEY) is None
    await bot.close()
    fake.refuse_commands = False
    await start(await open_core())
    assert puts(fake) == [GUILD_PUT, GUILD_PUT]
