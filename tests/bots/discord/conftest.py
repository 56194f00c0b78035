"""Fixtures: the fake Discord REST API, a real Core on SQLite, the real discord.py client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord.http
import pytest

from core.app import Core
from tests.support import discord_limits
from tests.support.clock import Clock
from tests.support.discord_api import FakeDiscord
from tests.support.discord_harness import Harness, OpenCore, StartHarness
from tests.support.settings import grant_test_moderators, make_settings


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


@pytest.fixture
async def open_core(sqlite_url: str, clock: Clock) -> AsyncIterator[OpenCore]:
    """Opens Cores on one store (a restart opens a second one); all closed at the end. Their
    moderators are the test ones even before (or without) a client."""
    opened: list[Core] = []

    async def open_(**overrides: Any) -> Core:
        core = await Core.open(make_settings(sqlite_url, **overrides), clock=clock, migrate=False)
        grant_test_moderators(core)
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


@pytest.fixture
async def start(fake: FakeDiscord) -> AsyncIterator[StartHarness]:
    """Starts a client (a simulated restart starts another on the same store); `settings=`
    gives it other Discord settings than the test ones."""
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
