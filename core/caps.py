"""Daily caps on what one person can make the bot store, counted without storing who."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete
from sqlalchemy.orm import Session

from core.fingerprint import fingerprint
from core.store.tables import DailyCap
from core.store.upsert import insert_for


def take(session: Session, what: str, actor_key: str, day: date, limit: int) -> bool:
    """Count one more `what` for the actor on `day`; False, counting nothing, at the limit."""
    # One statement: processes sharing PostgreSQL may count the same person at once, and the
    # conflicting row is locked until the first commits, so no two both take the last one.
    insert = insert_for(session, DailyCap)
    taken = session.execute(
        insert.values(fingerprint=fingerprint(actor_key), what=what, day=day, used=1)
        .on_conflict_do_update(
            index_elements=["fingerprint", "what", "day"],
            set_={"used": DailyCap.used + 1},
            where=DailyCap.used < limit,
        )
        .returning(DailyCap.used)
    )
    return taken.first() is not None


def purge(session: Session, today: date) -> int:
    """Forget the counts of days gone by; return how many went."""
    result = session.execute(
        delete(DailyCap).where(DailyCap.day < today).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
