"""Two Discord processes on one PostgreSQL, splitting four shards with DISCORD_SHARD_IDS: each
interaction reaches one process through the gateway of its guild's shard and is answered once;
a moderation card posted by one process is decided from the other."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yarl
from discord.gateway import DiscordWebSocket
from sqlalchemy import select

from bots.discord.run import NewsroomClient, Sync
from bots.discord.settings import DiscordSettings
from core.actions import Moderate, Move
from core.app import Core
from core.environment import SettingsError
from core.store.tables import Comment
from tests.support.databases import PostgresFactory
from tests.support.discord_api import GUILD_ID, FakeDiscord
from tests.support.discord_flows import card_of, card_posts, custom_id
from tests.support.discord_harness import Payloads
from tests.support.discord_users import MODERATOR, READER
from tests.support.gated import until
from tests.support.settings import discord_settings, make_settings

COUNT = 4


def guild_on(shard: int) -> int:
    """A guild id that Discord routes to `shard` of COUNT."""
    guild = GUILD_ID + (1 << 22) * ((shard - (GUILD_ID >> 22)) % COUNT)
    assert (guild >> 22) % COUNT == shard
    return guild


def in_guild(payload: dict[str, Any], guild: int) -> dict[str, Any]:
    payload = copy.deepcopy(payload)
    payload["guild_id"] = payload["channel"]["guild_id"] = str(guild)
    payload["data"].pop("guild_id", None)  # a global command, not one of that guild
    return payload


def test_shard_ids_must_fit_the_shard_count() -> None:
    with pytest.raises(ValueError, match="DISCORD_SHARD_COUNT"):
        DiscordSettings(shard_ids=(0, 1))
    with pytest.raises(ValueError, match="from 0 to 3"):
        DiscordSettings(shard_ids=(3, 4), shard_count=4)
    with pytest.raises(ValueError, match="distinct"):
        DiscordSettings(shard_ids=(1, 1), shard_count=4)
    assert DiscordSettings(shard_ids=(2, 3), shard_count=4).shard_ids == (2, 3)


def test_shard_ids_read_from_the_environment_fit_the_shard_count(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DISCORD_SHARD_IDS", "2, 3")
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    assert DiscordSettings.from_environment().shard_ids == (2, 3)
    monkeypatch.setenv("DISCORD_SHARD_IDS", "3,4")
    with pytest.raises(SettingsError, match=r"DISCORD_SHARD_IDS: must be .* from 0 to 3"):
        DiscordSettings.from_environment()


@pytest.fixture
async def cores(postgres_factory: PostgresFactory) -> AsyncIterator[list[Core]]:
    url = await postgres_factory.new()
    opened = [await Core.open(make_settings(url)) for _ in ("0,1", "2,3")]
    yield opened
    for core in opened:
        await core.close()


async def test_two_processes_split_the_shards_and_answer_each_interaction_once(
    cores: list[Core], fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    # Global commands: the interactions come from guilds all over the shards.
    shards = [
        discord_settings(guild_id=None, shard_count=COUNT, shard_ids=ids)
        for ids in ((0, 1), (2, 3))
    ]
    clients = [
        NewsroomClient(
            core,
            settings,
            sync=Sync.NEVER,
            shard_count=settings.shard_count,
            shard_ids=settings.shard_ids,
        )
        for core, settings in zip(cores, shards, strict=True)
    ]
    tasks = []
    for client in clients:
        await client.login("fake-token")
        tasks.append(asyncio.create_task(client.connect()))
    try:
        await until(lambda: all(client.is_ready() for client in clients), 10)
        assert sorted(tuple(i["shard"]) for i in fake.identified) == [
            (n, COUNT) for n in range(COUNT)
        ]
        payloads = Payloads()
        asked = []
        for shard in range(COUNT):
            for _ in range(3):
                payload = in_guild(payloads.slash("links", READER), guild_on(shard))
                asked.append(payload["id"])
                await fake.dispatch("INTERACTION_CREATE", payload)

        def callbacks(iid: str) -> list[Any]:
            return [
                r.body
                for r in fake.requests
                if r.interaction_id == iid and r.path.endswith("/callback")
            ]

        def answers(iid: str) -> int:
            return len(callbacks(iid))

        await until(lambda: all(answers(iid) >= 1 for iid in asked), 10)
        await asyncio.sleep(0.3)
        assert [answers(iid) for iid in asked] == [1] * len(asked)

        # A comment sent through the first process's shard gets its card from that process;
        # it is decided through the second one's shard.
        opened = in_guild(payloads.slash("comment", READER), guild_on(0))
        await fake.dispatch("INTERACTION_CREATE", opened)
        await until(lambda: answers(opened["id"]) == 1, 10)
        modal = callbacks(opened["id"])[0]["data"]
        values = {"Comment": "Decided elsewhere", "Name (optional)": ""}
        submitted = in_guild(payloads.submit(modal, values, READER), guild_on(0))
        cards_before = len(card_posts(fake))
        await fake.dispatch("INTERACTION_CREATE", submitted)
        await until(lambda: len(card_posts(fake)) == cards_before + 1, 10)
        title = card_posts(fake)[-1].body["embeds"][0]["title"]
        comment = int(title.split("#", 1)[1].split(" ", 1)[0])
        card = card_of(fake, comment)
        press = in_guild(
            payloads.press(card, custom_id(Moderate(Move.APPROVE, comment)), MODERATOR),
            guild_on(2),
        )
        await fake.dispatch("INTERACTION_CREATE", press)
        await until(lambda: answers(press["id"]) == 1, 10)

        async def status() -> str:
            rows = await cores[0].database.read(
                lambda s: s.scalars(select(Comment.status).where(Comment.id == comment)).all()
            )
            return str(rows[0])

        for _ in range(100):
            if await status() == "approved":
                break
            await asyncio.sleep(0.05)
        assert await status() == "approved"
        await until(lambda: "Approved" in str(fake.messages[card["id"]]["embeds"]), 10)
    finally:
        for client in clients:
            await client.close()
        await asyncio.gather(*tasks, return_exceptions=True)
