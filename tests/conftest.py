"""Fixtures for every layer: real databases (SQLite and PostgreSQL), a Core, a settable clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.app import Core
from tests.support.clock import Clock
from tests.support.databases import PostgresFactory, SqliteFactory
from tests.support.postgres import find_bindir, running_server
from tests.support.settings import grant_test_moderators, make_settings


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


@pytest.fixture
async def core(database_url: str, clock: Clock) -> AsyncIterator[Core]:
    """A Core on a fresh database of each kind, with the real content pack and the test
    moderators (as the adapters would grant them)."""
    instance = await Core.open(make_settings(database_url), clock=clock, migrate=False)
    grant_test_moderators(instance)
    try:
        yield instance
    finally:
        await instance.close()
