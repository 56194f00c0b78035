"""/reload on Discord: the command tree follows the content, and Discord is re-synced only when
the command set changed, within its 200 command creations a day."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bots.discord.sync import CREATES_KEY, DAILY_CREATES
from tests.support.clock import Clock
from tests.support.content import add_townhall, content_copy, rewrite
from tests.support.discord_api import APP_ID, GUILD_ID, FakeDiscord
from tests.support.discord_harness import Harness, OpenCore, StartHarness
from tests.support.discord_users import MODERATOR, NOT_A_MODERATOR, READER

GUILD_PUT = f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return content_copy(tmp_path / "content")


@pytest.fixture
async def bot(open_core: OpenCore, start: StartHarness, content: Path) -> Harness:
    return await start(await open_core(content_dir=content))


def puts(fake: FakeDiscord) -> list[str]:
    return [r.path for r in fake.requests if r.method == "PUT"]


def synced(fake: FakeDiscord) -> set[str]:
    return {command["name"] for command in fake.commands[str(GUILD_ID)]}


def in_tree(bot: Harness) -> set[str]:
    return {c.name for c in bot.client.tree.get_commands(guild=bot.client.command_guild)}


async def reload(bot: Harness) -> str:
    return (await bot.send(bot.slash("reload", MODERATOR))).texts()


async def test_a_new_article_is_synced_and_answers(
    bot: Harness, fake: FakeDiscord, content: Path
) -> None:
    assert puts(fake) == [GUILD_PUT] and "reload" in synced(fake)
    add_townhall(content)

    assert "Reloaded: added /townhall. The command menus follow." in await reload(bot)

    assert puts(fake) == [GUILD_PUT, GUILD_PUT]
    assert "townhall" in synced(fake) and "townhall" in in_tree(bot)
    answer = await bot.send(bot.slash("townhall", READER))
    assert "Sample Town Hall Reopens" in answer.texts()


async def test_a_changed_text_does_not_sync_again(
    bot: Harness, fake: FakeDiscord, content: Path
) -> None:
    add_townhall(content)
    await reload(bot)
    assert puts(fake) == [GUILD_PUT, GUILD_PUT]
    rewrite(content / "townhall.toml", "Visitors are welcome.", "Everyone is welcome.")

    assert "Reloaded: changed /townhall." in await reload(bot)

    assert puts(fake) == [GUILD_PUT, GUILD_PUT]
    answer = await bot.send(bot.slash("townhall", READER, section=1))
    assert "Everyone is welcome." in answer.texts()


async def test_a_removed_article_leaves_the_tree_and_discord(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord, content: Path
) -> None:
    townhall = add_townhall(content)
    bot = await start(await open_core(content_dir=content))
    assert "townhall" in synced(fake)
    townhall.unlink()

    assert "Reloaded: removed /townhall." in await reload(bot)

    assert puts(fake) == [GUILD_PUT, GUILD_PUT]
    assert "townhall" not in synced(fake) and "townhall" not in in_tree(bot)
    # Until a member's client forgets it, Discord may still send it: it is answered.
    stale = await bot.send(bot.slash("townhall", READER))
    assert "I don't know the command /townhall" in stale.texts()


async def test_members_without_the_role_may_not_reload(
    bot: Harness, fake: FakeDiscord, content: Path
) -> None:
    add_townhall(content)
    answer = await bot.send(bot.slash("reload", NOT_A_MODERATOR))
    assert "/reload is for moderators only." in answer.texts()
    assert puts(fake) == [GUILD_PUT] and "townhall" not in in_tree(bot)


async def test_a_sync_that_would_pass_the_daily_creations_waits(
    open_core: OpenCore,
    start: StartHarness,
    fake: FakeDiscord,
    content: Path,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = await open_core(content_dir=content)
    bot = await start(core)
    # Today's creations so far, as other syncs (or processes) left them: room for none more.
    stored = json.loads(await core.load_state(CREATES_KEY) or "")
    stored["recent"].append([clock().isoformat(), DAILY_CREATES - len(stored["names"])])
    await core.save_state(CREATES_KEY, json.dumps(stored))
    add_townhall(content)

    with caplog.at_level(logging.ERROR):
        assert "Reloaded: added /townhall." in await reload(bot)

    assert puts(fake) == [GUILD_PUT]
    assert "would pass Discord's 200 creations a day" in caplog.text
    assert "townhall" in in_tree(bot)  # ready for when Discord has it

    await bot.close()
    clock.advance(24 * 3600)  # a day later the creations are spent: the next start syncs
    await start(await open_core(content_dir=content))
    assert puts(fake) == [GUILD_PUT, GUILD_PUT] and "townhall" in synced(fake)


async def test_a_stopped_client_no_longer_follows_reloads(
    open_core: OpenCore, start: StartHarness, fake: FakeDiscord, content: Path
) -> None:
    core = await open_core(content_dir=content)
    await (await start(core)).close()
    add_townhall(content)
    await core.reload_content()
    await core.events.drain()
    assert puts(fake) == [GUILD_PUT]
