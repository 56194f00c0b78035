"""Fixtures: the fake Discord REST API, a real Core on SQLite, the real discord.py client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import discord.http
import pytest

from core.app import Core
from core.config import Settings
from tests.conftest import Clock, make_settings
from tests.support import discord_limits
from tests.support.discord_api import GUILD_ID, MOD_CHANNEL_ID, FakeDiscord
from tests.support.discord_harness import Harness, User

MOD_ROLE = 777  # DISCORD_MODERATOR_ROLE_IDS in tests/conftest.make_settings
READER = User(601, "Bo Reader")
OTHER = User(602, "Cy Other")
MODERATOR = User(9999, "Role Mod", roles=(MOD_ROLE, 5))
NOT_A_MODERATOR = User(603, "Eve Forger", roles=(5,))


def discord_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "discord_bot_token": "fake-token",
        "discord_moderation_channel_id": str(MOD_CHANNEL_ID),
        "discord_guild_id": str(GUILD_ID),
    }
    values.update(overrides)
    return make_settings(url, **values)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The fake API; every request it received is checked against Discord's limits, and
    nothing was sent on an interaction's token before the interaction was acknowledged."""
    server = FakeDiscord()
    url = await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", url)
    try:
        yield server
    finally:
        await server.stop()
    broken = {
        f"{r.method} {r.path}": p for r in server.requests if (p := discord_limits.problems(r))
    }
    assert not broken, broken
    assert not discord_limits.unacknowledged(server.requests)


OpenCore = Callable[..., Coroutine[Any, Any, Core]]


@pytest.fixture
async def open_core(sqlite_url: str, clock: Clock) -> AsyncIterator[OpenCore]:
    """Opens Cores on one store (a restart opens a second one); all closed at the end."""
    opened: list[Core] = []

    async def open_(**overrides: Any) -> Core:
        core = await Core.open(
            discord_settings(sqlite_url, **overrides), clock=clock, migrate=False
        )
        opened.append(core)
        return core

    try:
        yield open_
    finally:
        for core in reversed(opened):
            await core.close()


@pytest.fixture
async def core(open_core: OpenCore) -> Core:
    return await open_core()


StartHarness = Callable[..., Coroutine[Any, Any, Harness]]


@pytest.fixture
async def start(fake: FakeDiscord) -> AsyncIterator[StartHarness]:
    """Starts a client (a simulated restart starts another on the same store)."""
    started: list[Harness] = []

    async def start_(core: Core, **kwargs: Any) -> Harness:
        harness = await Harness.start(fake, core, **kwargs)
        started.append(harness)
        return harness

    try:
        yield start_
    finally:
        for harness in reversed(started):
            await harness.close()


@pytest.fixture
async def bot(start: StartHarness, core: Core) -> Harness:
    return await start(core)
