"""INSERT ... ON CONFLICT for whichever database a session is on (SQLite and PostgreSQL both
have it, each in its own dialect module)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of `table` that can take `.on_conflict_do_nothing/update` on this database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
