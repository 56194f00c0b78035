"""Run Alembic from the app, on the app's own engine (the cookbook's shared-connection recipe)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from core.store.engine import Database

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def upgrade_to_head(database: Database) -> None:
    """Apply pending migrations; a no-op (one query) when the schema is current."""
    head = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    async with database.engine.connect() as connection:
        if await connection.run_sync(_current_heads) == head:
            return
        await connection.run_sync(
            lambda sync_conn: command.upgrade(alembic_config(sync_conn), "head")
        )
        await connection.commit()
