"""Run Alembic from the app, on the app's own engine (the cookbook's shared-connection recipe).

Alembic is imported only when the schema is behind: at every ordinary start the check is one
query against `alembic_version` and the known head below (a test keeps it in step with
`migrations/versions`), which saves the start-up time and ~10 MB that importing Alembic costs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from core.store.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The newest revision in migrations/versions; a new migration must update it (a test checks).
SCHEMA_HEAD = "0efad5abfbfa"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _at_head(connection: Connection) -> bool:
    try:
        versions = {
            row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))
        }
    except DBAPIError:  # a new database has no alembic_version table yet
        connection.rollback()
        return False
    return versions == {SCHEMA_HEAD}


def _upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


# Processes starting together on one PostgreSQL migrate one at a time (an advisory lock).
MIGRATION_LOCK = 0x6E657773_726F6F6D  # "newsroom"


async def upgrade_to_head(database: Database) -> None:
    """Apply pending migrations; a single query when the schema is current."""
    shared = database.dialect == "postgresql"
    async with database.engine.connect() as connection:
        if await connection.run_sync(_at_head):
            return
        if shared:
            # The others wait here, then find the schema current.
            await connection.execute(
                text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK}
            )
            await connection.commit()
        try:
            if not await connection.run_sync(_at_head):
                await connection.run_sync(_upgrade)
            await connection.commit()
        finally:
            if shared:
                await connection.rollback()
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
                )
                await connection.commit()
