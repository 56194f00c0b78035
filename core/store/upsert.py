"""INSERT ... ON CONFLICT for whichever database a session is on (SQLite and PostgreSQL both
have it, each in its own dialect module)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


def insert_for(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of `table` that can take `.on_conflict_do_nothing/update` on this database."""
    # Imported here: the engine has loaded its own dialect, and the other one (PostgreSQL's
    # comes with all its drivers, ~2 MB) is not loaded in a process that never uses it.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
