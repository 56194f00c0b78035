"""Several processes on one PostgreSQL: a /reload in one reaches the others within seconds,
each reloading its own content directory; a bad file anywhere keeps that process's content."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.orm import Session

from core.app import Core
from core.content.follow import RELOAD_KEY
from core.store.engine import Database
from tests.support.actors import MODERATOR, READER, request_for
from tests.support.content import content_copy, rewrite
from tests.support.databases import PostgresFactory
from tests.support.gated import until
from tests.support.settings import grant_test_moderators, make_settings

LEAD = "OpenAI announces Stargate, a $500 billion venture"
BAD_SECTION_ID = ('id = "what"', 'id = "What Is It"')
# Turns of a follower looking every 50 ms: long enough for an echo to have come back.
A_FEW_TURNS = 0.3
Open = Callable[[Path], Awaitable[Core]]
T = TypeVar("T")


@pytest.fixture
async def postgres_url(postgres_factory: PostgresFactory) -> str:
    return await postgres_factory.new()


@pytest.fixture
async def open_process(postgres_url: str) -> AsyncIterator[Open]:
    """Opens Cores on one PostgreSQL database as separate processes would, each on its own
    content directory; they look for the others' reloads every 50 ms instead of 5 s."""
    opened: list[Core] = []

    async def open_one(content: Path) -> Core:
        core = await Core.open(make_settings(postgres_url, content_dir=content), migrate=False)
        grant_test_moderators(core)
        assert core.reloads is not None
        core.reloads.every = 0.05
        opened.append(core)
        return core

    yield open_one
    for core in opened:
        await core.close()


def follows(core: Core) -> list[str]:
    """Records each reload `core` makes to follow another process, once it has finished
    (refused or not): a test waiting on the record then sees what the reload left."""
    made: list[str] = []
    assert core.reloads is not None
    reload_here = core.reloads.reload_here

    async def counted() -> object:
        try:
            return await reload_here()
        finally:
            made.append("reload")

    core.reloads.reload_here = counted
    return made


async def summary(core: Core) -> str:
    return (await core.execute(request_for(READER), "stargate")).reply.text


async def two_processes(open_process: Open, tmp_path: Path) -> tuple[Core, Path, Core, Path]:
    a_files, b_files = content_copy(tmp_path / "a"), content_copy(tmp_path / "b")
    return await open_process(a_files), a_files, await open_process(b_files), b_files


async def test_a_reload_in_one_process_reloads_the_others(
    open_process: Open, tmp_path: Path
) -> None:
    a, a_files, b, b_files = await two_processes(open_process, tmp_path)
    b_follows = follows(b)
    for files in (a_files, b_files):  # one release, deployed to both
        rewrite(files / "stargate.toml", LEAD, "A lead the editor changed")

    answer = await a.execute(request_for(MODERATOR), "reload")

    assert "changed /stargate" in answer.reply.text
    await until(lambda: len(b_follows) == 1)
    assert "A lead the editor changed" in await summary(b)


async def test_a_follower_does_not_echo_the_reload(open_process: Open, tmp_path: Path) -> None:
    a, _, b, _ = await two_processes(open_process, tmp_path)
    a_follows, b_follows = follows(a), follows(b)

    await a.execute(request_for(MODERATOR), "reload")
    token = await a.load_state(RELOAD_KEY)
    await until(lambda: len(b_follows) == 1)
    await asyncio.sleep(A_FEW_TURNS)

    assert token is not None and await b.load_state(RELOAD_KEY) == token
    assert (a_follows, b_follows) == ([], ["reload"])


class LateToReturn:
    """The store as a follower uses it, where a write returns only once the follower has read
    twice since it committed: as late as a loaded process may resume the writer's caller."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.reads_since_write: int | None = None  # None: nothing written yet

    async def read(self, work: Callable[[Session], T]) -> T:
        result = await self.database.read(work)
        if self.reads_since_write is not None:
            self.reads_since_write += 1
        return result

    async def write(self, work: Callable[[Session], T]) -> T:
        result = await self.database.write(work)
        self.reads_since_write = 0
        await until(lambda: (self.reads_since_write or 0) >= 2)
        return result


async def test_a_process_does_not_follow_the_reload_it_is_announcing(
    open_process: Open, tmp_path: Path
) -> None:
    a, _, b, _ = await two_processes(open_process, tmp_path)
    a_follows, b_follows = follows(a), follows(b)
    assert a.reloads is not None
    a.reloads.database = LateToReturn(a.reloads.database)  # type: ignore[assignment]

    await a.execute(request_for(MODERATOR), "reload")
    await until(lambda: len(b_follows) == 1)

    assert (a_follows, b_follows) == ([], ["reload"])


async def test_each_reload_is_followed_once(open_process: Open, tmp_path: Path) -> None:
    a, _, b, _ = await two_processes(open_process, tmp_path)
    a_follows, b_follows = follows(a), follows(b)

    await a.execute(request_for(MODERATOR), "reload")
    await until(lambda: len(b_follows) == 1)
    await b.execute(request_for(MODERATOR), "reload")  # then one in the other process
    await until(lambda: len(a_follows) == 1)
    await asyncio.sleep(A_FEW_TURNS)

    assert (a_follows, b_follows) == (["reload"], ["reload"])


async def test_a_process_with_a_bad_file_keeps_its_content(
    open_process: Open, tmp_path: Path
) -> None:
    a, a_files, b, b_files = await two_processes(open_process, tmp_path)
    b_follows = follows(b)
    rewrite(a_files / "stargate.toml", LEAD, "A lead for everyone")
    rewrite(b_files / "stargate.toml", *BAD_SECTION_ID)

    await a.execute(request_for(MODERATOR), "reload")
    await until(lambda: len(b_follows) == 1)

    assert "A lead for everyone" in await summary(a)
    assert LEAD in await summary(b)  # b tried, refused its bad file, serves what it had


async def test_a_refused_reload_is_not_passed_on(open_process: Open, tmp_path: Path) -> None:
    a, a_files, b, _ = await two_processes(open_process, tmp_path)
    b_follows = follows(b)
    rewrite(a_files / "stargate.toml", *BAD_SECTION_ID)
    token = await a.load_state(RELOAD_KEY)

    answer = await a.execute(request_for(MODERATOR), "reload")
    await asyncio.sleep(A_FEW_TURNS)

    assert "Not reloaded" in answer.reply.text
    assert await a.load_state(RELOAD_KEY) == token
    assert b_follows == []


async def test_a_process_started_after_a_reload_does_not_reload_again(
    open_process: Open, tmp_path: Path
) -> None:
    a, _, _, _ = await two_processes(open_process, tmp_path)
    await a.execute(request_for(MODERATOR), "reload")
    late = await open_process(content_copy(tmp_path / "late"))
    late_follows = follows(late)

    await asyncio.sleep(A_FEW_TURNS)

    assert late_follows == []  # what it loaded at start is already the reloaded content


async def test_on_sqlite_one_process_runs_and_nothing_follows(sqlite_url: str) -> None:
    core = await Core.open(make_settings(sqlite_url), migrate=False)
    try:
        assert core.reloads is None
    finally:
        await core.close()
