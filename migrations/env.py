"""Alembic environment: async engine, batch mode on SQLite, the app's own connection if given."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from core.config import Settings
from core.store.engine import Database
from core.store.tables import Base, Timestamp

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _render_item(kind: str, item: Any, autogen_context: Any) -> str | bool:
    # Migrations stay free of app imports: the app's UTC timestamp is a plain timestamptz.
    if kind == "type" and isinstance(item, Timestamp):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    database = Database.connect(url, pool_size=1)
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await database.close()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")

shared_connection: Connection | None = config.attributes.get("connection")
if shared_connection is not None:
    # Called from the app (core.store.migrate) on its own connection, inside its event loop.
    _run(shared_connection)
else:
    # `alembic upgrade head` (the Procfile's release) reads DATABASE_URL; the app's migration
    # child (core.store.migrate) passes the URL it was given.
    url = config.attributes.get("url") or Settings.from_environment().database_url
    asyncio.run(_run_with_own_engine(url))
