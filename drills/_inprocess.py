"""Shared by the in-process drills: real adapter stacks on loopback fakes, a real Core, counts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import discord.http
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.report import table
from bots.discord.settings import DiscordSettings
from bots.telegram.limits import FloodControl
from bots.telegram.run import TelegramAdapter
from core.app import Core
from core.config import CommentRules, Settings
from core.store.tables import (
    AuditEntry,
    Ban,
    Comment,
    CommentDraft,
    ModerationPost,
    ProcessedEvent,
    UnansweredQuestion,
)
from tests.support.discord_api import FakeDiscord
from tests.support.discord_harness import Harness
from tests.support.postgres import find_bindir, running_server
from tests.support.settings import grant_test_moderators, make_settings, telegram_settings
from tests.support.telegram_api import FakeBotApi

# Drills send many comments a second from one author: flood control would refuse them.
NO_FLOOD = CommentRules(flood_seconds=0)


def drill_settings(database_url: str, **overrides: Any) -> Settings:
    """The Core's settings on one store; the adapters' are the tests' (`telegram_settings`,
    `discord_settings`)."""
    values: dict[str, Any] = {
        "comment_rules": NO_FLOOD,
        # Drill readers send many commands a minute: the per-user rate would ignore them.
        "command_rate_per_minute": 0,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


async def open_drill_core(database_url: str, **overrides: Any) -> Core:
    """A Core that knows every test moderator, as if all adapters ran on it (drills also act
    on it directly, e.g. as the console operator)."""
    core = await Core.open(drill_settings(database_url, **overrides))
    grant_test_moderators(core)
    return core


# Stores ------------------------------------------------------------------------------------


@contextlib.contextmanager
def sqlite_store() -> Iterator[str]:
    """A URL of a fresh SQLite file (migrated by the first `Core.open`)."""
    with tempfile.TemporaryDirectory(prefix="drill-") as directory:
        yield f"sqlite+aiosqlite:///{Path(directory) / 'drill.sqlite3'}"


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server; yields its admin URL."""
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (`make postgres` installs it)")
    with running_server(bindir) as admin_url:
        yield admin_url


_databases = iter(range(1, 10**6))


async def new_postgres_database(admin_url: str) -> str:
    name = f"drill_{next(_databases)}"
    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


# Counting what the store holds ---------------------------------------------------------------


async def store_counts(core: Core) -> Counter[str]:
    """Rows per table, and audit rows per action (`audit:decided`...)."""

    def count(session: Session) -> Counter[str]:
        found: Counter[str] = Counter()
        for name, model in (
            ("comments", Comment),
            ("drafts", CommentDraft),
            ("audit", AuditEntry),
            ("bans", Ban),
            ("events", ProcessedEvent),
            ("cards", ModerationPost),
            ("unanswered", UnansweredQuestion),
        ):
            found[name] = session.scalar(select(func.count()).select_from(model)) or 0
        rows = session.execute(select(AuditEntry.action, func.count()).group_by(AuditEntry.action))
        for action, n in rows:
            found[f"audit:{action}"] = n
        return found

    return await core.database.read(count)


# Logs ------------------------------------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Collects every ERROR (and worse) record, e.g. tracebacks from the adapters' handlers."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def summary(self, limit: int = 5) -> list[str]:
        out = []
        for record in self.records[:limit]:
            kind = type(record.exc_info[1]).__name__ if record.exc_info else "no traceback"
            out.append(f"{record.name}: {record.getMessage()[:200]} ({kind})")
        return out


@contextlib.contextmanager
def captured_errors(quiet: bool = True) -> Iterator[ErrorLog]:
    """Capture ERROR records; with `quiet` nothing below CRITICAL reaches the terminal."""
    handler = ErrorLog()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    console = logging.StreamHandler()
    console.setLevel(logging.CRITICAL if quiet else logging.WARNING)
    root.addHandler(console)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.removeHandler(console)
        root.setLevel(previous)


# Telegram: the real PTB stack against the fake Bot API -----------------------------------------


def fast_limiter() -> FloodControl:
    return FloodControl(pacing=False, backoff=0.01)


@dataclass
class TelegramStack:
    """FakeBotApi + Core + TelegramAdapter on one store; `restart()` replaces Core and adapter."""

    api: FakeBotApi
    url: str
    overrides: dict[str, Any] = field(default_factory=dict)
    core: Core | None = None
    adapter: TelegramAdapter | None = None

    async def open(self) -> TelegramStack:
        self.core = await open_drill_core(self.url, **self.overrides)
        self.adapter = TelegramAdapter(
            self.core, telegram_settings(self.api.root), poll_timeout=1, limiter=fast_limiter()
        )
        await self.adapter.start()
        return self

    async def close(self) -> None:
        if self.adapter is not None:
            await self.adapter.stop()
            self.adapter = None
        if self.core is not None:
            await self.core.close()
            self.core = None

    async def restart(self) -> None:
        """A new process: fresh memory, the same store."""
        await self.close()
        await self.open()


@contextlib.asynccontextmanager
async def telegram_stack(
    url: str, api: FakeBotApi | None = None, **overrides: Any
) -> AsyncIterator[TelegramStack]:
    api = api or FakeBotApi()
    await api.start()
    stack = TelegramStack(api, url, overrides)
    try:
        await stack.open()
        yield stack
    finally:
        await stack.close()
        await api.stop()


# Discord: the real discord.py client fed raw gateway payloads ---------------------------------


@dataclass
class DiscordStack:
    fake: FakeDiscord
    url: str
    overrides: dict[str, Any] = field(default_factory=dict)
    discord: DiscordSettings | None = None  # the adapter's; the tests' when None
    core: Core | None = None
    bot: Harness | None = None

    async def open(self, core: Core | None = None) -> DiscordStack:
        self.core = core or await open_drill_core(self.url, **self.overrides)
        self.bot = await Harness.start(self.fake, self.core, settings=self.discord)
        return self

    async def close(self, *, core: bool = True) -> None:
        if self.bot is not None:
            await self.bot.close()
            self.bot = None
        if self.core is not None and core:
            await self.core.close()
        self.core = None

    async def restart(self) -> None:
        await self.close()
        await self.open()


@contextlib.asynccontextmanager
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    """The fake Discord API with discord.py's REST base pointed at it (restored after)."""
    fake = FakeDiscord()
    url = await fake.start()
    previous = discord.http.Route.BASE
    discord.http.Route.BASE = url
    try:
        yield fake
    finally:
        discord.http.Route.BASE = previous
        await fake.stop()


@contextlib.asynccontextmanager
async def discord_stack(
    url: str, discord: DiscordSettings | None = None, **overrides: Any
) -> AsyncIterator[DiscordStack]:
    """A Discord stack: `discord` for the adapter's settings, `overrides` for the Core's."""
    async with discord_fake() as fake:
        stack = DiscordStack(fake, url, overrides, discord)
        try:
            await stack.open()
            yield stack
        finally:
            await stack.close()


async def settle(count: Callable[[], int], quiet: float = 0.3, within: float = 30.0) -> None:
    """Wait until `count()` has not changed for `quiet` seconds (nothing more is coming)."""
    deadline = asyncio.get_running_loop().time() + within
    last = count()
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(quiet)
        now = count()
        if now == last:
            return
        last = now


# Reporting -------------------------------------------------------------------------------------


def report(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    print(f"\n{title}\n")
    print(table(headers, rows))


def verdict(problems: list[str]) -> int:
    """Print what went wrong (nothing, one hopes) and return the exit status."""
    if problems:
        print("\nFAILED:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nOK: nothing lost, nothing repeated.")
    return 0
