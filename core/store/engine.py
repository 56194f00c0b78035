"""Engine set-up and units of work.

A unit of work is a plain function over a synchronous `Session`: it cannot await anything,
so no network call can ever happen inside a transaction. `Database.read(fn)` and
`Database.write(fn)` run it:

- PostgreSQL (asyncpg): through `AsyncSession.run_sync`, on a small connection pool; writes
  are group-committed by `ASYNC_WRITERS` tasks (core/store/group_commit.py).
- SQLite: reads through aiosqlite like PostgreSQL; writes on one dedicated writer thread with
  its own connection. SQLite allows one writer at a time anyway, and this way a write costs no
  per-statement thread hops, concurrent writers queue in Python instead of sleeping in SQLite's
  busy handler, and the queued writes are group-committed (core/store/group_commit.py).
  `busy_timeout` still covers other processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from core.store.group_commit import AsyncWriters, SqliteWriter
from core.store.tables import use_dialect

log = logging.getLogger(__name__)

T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 15_000
_IMMEDIATE = "newsroom_immediate"
# Concurrent group-committing writers on PostgreSQL: while one waits on the server, another
# runs; few, so batches stay large and their locks few.
ASYNC_WRITERS = 2


def normalize_database_url(raw: str) -> URL:
    """Accept what hosts hand out: `postgres://` (Heroku) and driverless URLs get async drivers."""
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    url = make_url(raw)
    if url.drivername in {"postgresql", "postgresql+psycopg2", "postgresql+psycopg"}:
        url = url.set(drivername="postgresql+asyncpg")
    elif url.drivername in {"sqlite", "sqlite+pysqlite"}:
        url = url.set(drivername="sqlite+aiosqlite")
    return url


def describe_url(url: URL) -> str:
    """The URL with its password hidden, for logs."""
    return url.render_as_string(hide_password=True)


def _configure_sqlite(engine: Engine, synchronous: str, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself, so writes can begin IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A transaction that reads and then writes, begun DEFERRED, gets an instant "database
        # is locked" when another writer got there first; IMMEDIATE waits on busy_timeout.
        wants = immediate or conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if wants else "BEGIN")


class Database:
    """The store's engines and the two ways to run a unit of work: `read` and `write`."""

    def __init__(self, engine: AsyncEngine, sqlite_writer: Engine | None = None) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._sqlite_writer = sqlite_writer
        self._writer: SqliteWriter | None = None
        self._async_writers = AsyncWriters(self._sessions, ASYNC_WRITERS)
        if sqlite_writer is not None:
            self._writer = SqliteWriter(sessionmaker(sqlite_writer, expire_on_commit=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    def connect(
        cls, raw_url: str, *, sqlite_synchronous: str = "NORMAL", pool_size: int = 5
    ) -> Database:
        url = normalize_database_url(raw_url)
        log.info("store: %s", describe_url(url))
        use_dialect(url.get_backend_name())
        if not url.drivername.startswith("sqlite"):
            # Small hosted plans allow ~20 connections for every process together.
            engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=5, pool_pre_ping=True
            )
            return cls(engine)
        if not url.database or url.database == ":memory:":
            raise ValueError(
                "SQLite needs a file (sqlite+aiosqlite:///path): memory is per thread"
            )
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        synchronous = sqlite_synchronous.upper()
        if synchronous not in {"NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"SQLITE_SYNCHRONOUS must be NORMAL or FULL, not {synchronous!r}")
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=10)
        _configure_sqlite(engine.sync_engine, synchronous, immediate=False)
        writer = create_engine(
            url.set(drivername="sqlite+pysqlite"),
            pool_size=1,
            max_overflow=0,
            connect_args={"check_same_thread": False},  # used by the writer thread alone
        )
        _configure_sqlite(writer, synchronous, immediate=True)
        return cls(engine, writer)

    async def read(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a transaction that is rolled back afterwards (it should only read)."""
        async with self._sessions() as session:
            return await session.run_sync(work)

    async def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a transaction that commits if it returns and rolls back if it raises."""
        if self._writer is not None:
            return await self._writer.write(work)
        return await self._async_writers.write(work)

    async def close(self) -> None:
        await self._async_writers.close()
        if self._writer is not None:
            await asyncio.to_thread(self._writer.close)
        if self._sqlite_writer is not None:
            self._sqlite_writer.dispose()
        await self.engine.dispose()
