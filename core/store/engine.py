"""Engine set-up: URL normalisation, SQLite pragmas, IMMEDIATE write transactions."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000
_WRITE = "newsroom_write"


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


def _configure_sqlite(engine: AsyncEngine, synchronous: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself, so writes can begin IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A read-then-write transaction that began DEFERRED gets an instant "database is
        # locked" when another writer got there first; IMMEDIATE waits on busy_timeout instead.
        mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One engine and two session factories: plain reads, and writes (IMMEDIATE on SQLite)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reads = async_sessionmaker(engine, expire_on_commit=False)
        self._writes = async_sessionmaker(
            engine.execution_options(**{_WRITE: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    def connect(
        cls, raw_url: str, *, sqlite_synchronous: str = "NORMAL", pool_size: int = 5
    ) -> Database:
        url = normalize_database_url(raw_url)
        if url.drivername.startswith("sqlite"):
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            synchronous = sqlite_synchronous.upper()
            if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
                raise ValueError(f"SQLITE_SYNCHRONOUS must be NORMAL or FULL, not {synchronous!r}")
            engine = create_async_engine(url, pool_size=pool_size, max_overflow=10)
            _configure_sqlite(engine, synchronous)
        else:
            # Small hosted plans allow ~20 connections for every process together.
            engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=5, pool_pre_ping=True
            )
        log.info("store: %s", describe_url(url))
        return cls(engine)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with self._reads() as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that commits on success; never await the network inside it."""
        async with self._writes() as session, session.begin():
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
