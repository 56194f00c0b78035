"""Migrations and models agree, and the schema can go down and up again."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex

from core.store.engine import Database
from core.store.migrate import SCHEMA_HEAD, MigrationFailed, alembic_config, upgrade_to_head
from core.store.tables import Base
from tests.support.databases import PostgresFactory
from tests.support.paths import ROOT


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    database = Database.connect(database_url, pool_size=1)
    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await database.close()


async def test_drift_would_be_caught(database_url: str) -> None:
    database = Database.connect(database_url, pool_size=1)
    try:
        async with database.engine.connect() as connection:
            await connection.exec_driver_sql("DROP INDEX ix_comments_status_id")
            diff = await connection.run_sync(_diff)
            await connection.rollback()
        assert any("ix_comments_status_id" in str(change) for change in diff)
    finally:
        await database.close()


async def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    database = Database.connect(database_url, pool_size=1)
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
            await connection.commit()
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
            assert set(tables) <= {"alembic_version"}
        await upgrade_to_head(database)
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert set(Base.metadata.tables) <= set(tables)
    finally:
        await database.close()


async def test_partial_indexes_keep_their_where_on_each_database(database_url: str) -> None:
    database = Database.connect(database_url, pool_size=1)  # gives them its dialect's WHERE
    try:
        partial = {
            "uq_comments_author_digest",
            "ix_processed_events_subject_key",
            "ix_inbox_pending",
        }
        ddl = {
            index.name: str(CreateIndex(index).compile(dialect=database.engine.dialect))
            for table in Base.metadata.tables.values()
            for index in table.indexes
            if index.name in partial
        }
        assert set(ddl) == partial
        assert all(" WHERE " in statement for statement in ddl.values()), ddl
    finally:
        await database.close()


def test_the_known_head_is_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [SCHEMA_HEAD], "update SCHEMA_HEAD in core/store/migrate.py"


async def test_a_current_store_starts_without_importing_alembic(database_url: str) -> None:
    code = (
        "import asyncio, sys\n"
        "from core.store.engine import Database\n"
        "from core.store.migrate import upgrade_to_head\n"
        f"db = Database.connect({database_url!r}, pool_size=1)\n"
        "asyncio.run(upgrade_to_head(db))\n"
        "print('alembic' in sys.modules)\n"
    )
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


async def test_processes_starting_together_on_postgresql_migrate_once(
    postgres_factory: PostgresFactory,
) -> None:
    url = await postgres_factory.empty()
    databases = [Database.connect(url, pool_size=1) for _ in range(4)]
    try:
        await asyncio.gather(*(upgrade_to_head(database) for database in databases))
        versions = await databases[0].read(
            lambda s: s.scalars(text("SELECT version_num FROM alembic_version")).all()
        )
        assert versions == [SCHEMA_HEAD]
    finally:
        for database in databases:
            await database.close()


async def test_a_migration_that_fails_stops_the_bot_and_says_why(tmp_path: Path) -> None:
    store = tmp_path / "bot.sqlite3"
    with sqlite3.connect(store) as connection:  # a table in the way of the first migration
        connection.execute("CREATE TABLE comments (x INTEGER)")
    url = f"sqlite+aiosqlite:///{store}"
    database = Database.connect(url, pool_size=1)
    try:
        with pytest.raises(MigrationFailed, match="table comments already exists"):
            await upgrade_to_head(database)
    finally:
        await database.close()

    env = {**os.environ, "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": "", "DISCORD_BOT_TOKEN": ""}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots.console",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert "could not bring the store's schema up to date: OperationalError: table comments" in (
        stderr.decode()
    )
