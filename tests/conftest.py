"""Fixtures for every layer: real databases (SQLite and PostgreSQL), a Core, a settable clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.actors import Actor, Request
from core.app import Core
from core.config import CommentRules, Settings
from tests.support.databases import PostgresFactory, SqliteFactory
from tests.support.postgres import find_bindir, running_server

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"


@dataclass
class Clock:
    """A clock tests move by hand (flood intervals, ban expiry)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 27, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="session")
def sqlite_factory(tmp_path_factory: pytest.TempPathFactory) -> SqliteFactory:
    return SqliteFactory(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_factory() -> Iterator[PostgresFactory]:
    if url := os.environ.get("TEST_POSTGRES_URL"):
        yield PostgresFactory(url)
        return
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (REQUIRE_POSTGRES=1) but initdb was not found")
        pytest.skip("PostgreSQL not installed; `make test` installs it")
    with running_server(bindir) as admin_url:
        yield PostgresFactory(admin_url)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_factory: SqliteFactory
) -> str:
    """A fresh database at the head migration, on each engine the store supports."""
    if request.param == "sqlite":
        return sqlite_factory.new(tmp_path)
    factory: PostgresFactory = request.getfixturevalue("postgres_factory")
    return await factory.new()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_factory: SqliteFactory) -> str:
    return sqlite_factory.new(tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_settings(database_url: str, **overrides: object) -> Settings:
    rules = overrides.pop("comment_rules", None) or CommentRules(_env_file=None)
    values: dict[str, object] = {
        "database_url": database_url,
        "content_dir": CONTENT,
        "telegram_moderator_ids": ["1001"],
        "discord_moderator_ids": ["2001"],
        "discord_moderator_role_ids": ["777"],
        "console_moderator_ids": ["operator"],
        "comment_rules": rules,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
async def core(database_url: str, clock: Clock) -> AsyncIterator[Core]:
    """A Core on a fresh database of each kind, with the real content pack."""
    instance = await Core.open(make_settings(database_url), clock=clock, migrate=False)
    try:
        yield instance
    finally:
        await instance.close()


_event_ids = iter(range(1, 10**9))


def request_for(actor: Actor, *, key: str | None = "auto", chat_id: str = "chat") -> Request:
    """A request with a fresh event key unless one is given (None for no key)."""
    event_key = f"test:{next(_event_ids)}" if key == "auto" else key
    return Request(actor=actor, chat_id=chat_id, event_key=event_key)


READER = Actor("telegram", "501", "Ada Reader")
OTHER_READER = Actor("discord", "601", "Bo Reader")
MODERATOR = Actor("telegram", "1001", "Mia Moderator")
DISCORD_MODERATOR = Actor("discord", "9999", "Role Mod", role_ids=frozenset({"777"}))
OPERATOR = Actor("console", "operator", "Operator")
