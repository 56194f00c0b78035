"""The adapter as the runner starts it: gateway handshake, intents, SIGTERM, no token logged."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import pytest
import yarl
from discord.gateway import DiscordWebSocket

from bots import runner
from bots.discord import run_discord
from bots.discord.run import NewsroomClient, Sync
from core.app import Core
from tests.support.discord_api import FakeDiscord
from tests.support.discord_harness import Payloads
from tests.support.discord_users import READER
from tests.support.settings import discord_settings, make_settings, telegram_settings

TOKEN = "fake-token"  # discord_settings' DISCORD_BOT_TOKEN


async def identified(fake: FakeDiscord) -> dict[str, object]:
    for _ in range(500):
        if fake.identified:
            return fake.identified[0]
        await asyncio.sleep(0.01)
    raise AssertionError("the client never identified")


async def test_run_discord_serves_the_gateway_and_stops_gracefully(
    core: Core, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stop = asyncio.Event()
    task = asyncio.create_task(run_discord(core, stop, discord_settings()))
    identify = await identified(fake)
    assert identify["intents"] == 1  # GUILDS only: nothing privileged
    assert identify["shard"] == [0, 1]

    payload = Payloads().slash("faq", READER, question="how much money")
    await fake.dispatch("INTERACTION_CREATE", payload)
    await fake.wait_for(lambda r: r.path.endswith("/messages/@original"))
    assert any(r.interaction_id == payload["id"] for r in fake.requests)

    stop.set()
    await asyncio.wait_for(task, 5)
    assert not any(TOKEN in record.getMessage() for record in caplog.records)


async def test_sigterm_stops_python_m_bots_discord(
    sqlite_url: str, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runner sets up the process's logging; the test run keeps its own.
    monkeypatch.setattr(runner, "configure_logging", lambda *settings: None)
    adapters = runner.AdapterSettings(
        telegram=telegram_settings(bot_token=None), discord=discord_settings()
    )
    task = asyncio.create_task(
        runner.main(["discord"], settings=make_settings(sqlite_url), adapters=adapters)
    )
    await identified(fake)
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 5) == 0


async def test_an_operator_shard_count_opens_one_session_per_shard(
    core: Core, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    client = NewsroomClient(core, discord_settings(), sync=Sync.NEVER, shard_count=2)
    async with client:
        await client.login(TOKEN)
        task = asyncio.create_task(client.connect())
        for _ in range(1000):
            if len(fake.identified) == 2:
                break
            await asyncio.sleep(0.01)
        assert sorted(tuple(i["shard"]) for i in fake.identified) == [(0, 2), (1, 2)]
        await client.close()
        await asyncio.wait_for(task, 5)
