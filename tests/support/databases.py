"""Fresh, migrated databases per test: copies of a migrated SQLite file, PostgreSQL templates."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg

from core.store.engine import Database
from core.store.migrate import upgrade_to_head


def run_blocking(make: Callable[[], Coroutine[object, object, None]]) -> None:
    """Run set-up coroutines on a loop of their own, even when a test's loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(make())).result()


async def migrate(url: str) -> None:
    database = Database.connect(url, pool_size=1)
    try:
        await upgrade_to_head(database)
    finally:
        await database.close()


class SqliteFactory:
    def __init__(self, workdir: Path) -> None:
        self._template = workdir / "template.sqlite3"
        run_blocking(lambda: migrate(f"sqlite+aiosqlite:///{self._template}"))
        self._counter = itertools.count()

    def new(self, directory: Path) -> str:
        target = directory / f"store-{next(self._counter)}.sqlite3"
        shutil.copyfile(self._template, target)
        return f"sqlite+aiosqlite:///{target}"


class PostgresFactory:
    TEMPLATE = "newsroom_template"

    def __init__(self, admin_url: str) -> None:
        self._admin_dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
        self._base = admin_url.rsplit("/", 1)[0]
        self._counter = itertools.count()
        run_blocking(lambda: self._create(self.TEMPLATE, template=None))
        run_blocking(lambda: migrate(f"{self._base}/{self.TEMPLATE}"))

    async def _create(self, name: str, template: str | None) -> None:
        connection = await asyncpg.connect(self._admin_dsn)
        try:
            suffix = f" TEMPLATE {template}" if template else ""
            await connection.execute(f'CREATE DATABASE "{name}"{suffix}')
        finally:
            await connection.close()

    async def new(self) -> str:
        name = f"newsroom_test_{next(self._counter)}"
        await self._create(name, self.TEMPLATE)
        return f"{self._base}/{name}"

    async def empty(self) -> str:
        """A database with no schema at all (not even Alembic's table)."""
        name = f"newsroom_empty_{next(self._counter)}"
        await self._create(name, template=None)
        return f"{self._base}/{name}"
