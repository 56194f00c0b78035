"""Bring the store's schema to head at start-up, running Alembic only when it is behind.

At every ordinary start the check is one query against `alembic_version` and the known head
below (a test keeps it in step with `migrations/versions`). When the schema is behind, a child
process runs Alembic (`python -m core.store.migrate`, on a connection of its own as in the
cookbook's shared-connection recipe) and exits: importing Alembic costs ~13 MB that a bot
would otherwise hold until its next restart, and every deploy that adds a migration starts so.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from core.store.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The newest revision in migrations/versions; a new migration must update it (a test checks).
SCHEMA_HEAD = "0efad5abfbfa"


def alembic_config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    """Alembic's configuration: on `connection`, or on an engine of its own for `url` (by
    default the environment's DATABASE_URL)."""
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    if url is not None:
        config.attributes["url"] = url
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


class MigrationFailed(RuntimeError):
    """The schema could not be brought to head; the message says what Alembic reported."""


async def _upgrade_in_child(database: Database) -> None:
    # The URL goes on stdin: in argv, it and its password would show in ps to every user.
    url = database.engine.url.render_as_string(hide_password=False)
    path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        __name__,
        stdin=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
    )
    try:
        _, stderr = await child.communicate(url.encode())
    except BaseException:  # cancelled: the migration's transaction rolls back with the child
        if child.returncode is None:
            child.kill()
            await child.wait()
        raise
    if child.returncode != 0:
        report = stderr.decode(errors="replace").strip()
        log.error("migrating the store failed:\n%s", report)
        last = report.splitlines()[-1] if report else f"exit status {child.returncode}"
        raise MigrationFailed(f"could not bring the store's schema up to date: {last}")
    log.info("store schema migrated to %s", SCHEMA_HEAD)


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
                await connection.rollback()  # no open read, so the child may write
                await _upgrade_in_child(database)
            await connection.commit()
        finally:
            if shared:
                await connection.rollback()
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
                )
                await connection.commit()


def _child() -> int:
    """Migrate the store whose URL is on stdin; on failure, the reason is stderr's last line."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        from alembic import command

        command.upgrade(alembic_config(url=sys.stdin.readline().strip()), "head")
    except Exception as exc:
        log.exception("migration failed")
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        print(f"{type(reason).__name__}: {str(reason).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # the child of `_upgrade_in_child`
    raise SystemExit(_child())
