"""Group commit on the real store: queued writes share transactions, yet each unit keeps the
outcome it would have had alone, in queue order (core/store/group_commit.py)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.store.engine import Database

_transactions = itertools.count()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database.connect(database_url)

    def create(session: Session) -> None:
        session.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        session.execute(
            text(
                "CREATE TABLE probe_child (id INTEGER PRIMARY KEY, parent INTEGER "
                "REFERENCES probe (id) DEFERRABLE INITIALLY DEFERRED)"
            )
        )

    await db.write(create)
    try:
        yield db
    finally:
        await db.close()


def transaction_of(session: Session) -> int:
    """A number per transaction the store opened (a session lives for one)."""
    return session.info.setdefault("transaction", next(_transactions))  # type: ignore[no-any-return]


def insert(row: int, *, then_fail: bool = False) -> Callable[[Session], int]:
    def unit(session: Session) -> int:
        session.execute(text("INSERT INTO probe (id) VALUES (:id)"), {"id": row})
        if then_fail:
            raise ValueError(f"unit {row} changed its mind")
        return transaction_of(session)

    return unit


async def stored(database: Database, table: str = "probe") -> set[int]:
    rows = await database.read(lambda s: s.execute(text(f"SELECT id FROM {table}")).all())
    return {row[0] for row in rows}


async def test_a_failing_unit_fails_alone_and_later_units_see_earlier_ones(
    database: Database,
) -> None:
    units = [insert(n, then_fail=n in {5, 12}) for n in range(20)]
    units[8] = insert(3)  # row 3 was queued before it: a duplicate, as it would be in order
    results = await asyncio.gather(*(database.write(u) for u in units), return_exceptions=True)

    assert isinstance(results[5], ValueError) and isinstance(results[12], ValueError)
    assert isinstance(results[8], IntegrityError)
    succeeded = [r for n, r in enumerate(results) if n not in {5, 8, 12}]
    assert all(isinstance(r, int) for r in succeeded)
    assert await stored(database) == set(range(20)) - {5, 8, 12}
    # Grouped: far fewer transactions committed than units acknowledged.
    assert len(set(succeeded)) <= len(succeeded) // 2


async def test_a_batch_whose_commit_fails_is_retried_unit_by_unit(database: Database) -> None:
    await database.write(insert(1000))

    def orphan(session: Session) -> int:
        # A deferred foreign key is checked at COMMIT: the whole batch's commit fails.
        session.execute(text("INSERT INTO probe_child (id, parent) VALUES (1, 424242)"))
        return transaction_of(session)

    def child(n: int) -> Callable[[Session], int]:
        def unit(session: Session) -> int:
            session.execute(
                text("INSERT INTO probe_child (id, parent) VALUES (:id, 1000)"), {"id": n}
            )
            return transaction_of(session)

        return unit

    units = [child(n) for n in range(10, 20)]
    units.insert(4, orphan)
    results = await asyncio.gather(*(database.write(u) for u in units), return_exceptions=True)

    assert isinstance(results[4], IntegrityError)
    assert all(isinstance(r, int) for n, r in enumerate(results) if n != 4)
    assert await stored(database, "probe_child") == set(range(10, 20))


async def test_a_single_write_still_answers_with_its_own_error(database: Database) -> None:
    assert isinstance(await database.write(insert(1)), int)
    with pytest.raises(IntegrityError):
        await database.write(insert(1))
    with pytest.raises(ValueError, match="changed its mind"):
        await database.write(insert(2, then_fail=True))
    assert await stored(database) == {1}


async def test_writes_after_close_are_refused(database_url: str) -> None:
    db = Database.connect(database_url)
    await db.close()
    with pytest.raises(RuntimeError, match="closed"):
        await db.write(insert(1))


async def test_callers_of_a_writer_cancelled_at_shutdown_are_told_to_try_again(
    database: Database,
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite writes run on a thread, not on cancellable writer tasks")

    def slow(session: Session) -> int:
        session.execute(text("SELECT pg_sleep(2)"))
        return 1

    write = asyncio.create_task(database.write(slow))
    await asyncio.sleep(0.3)  # the writer is inside the unit now
    for writer in database._async_writers._running:
        writer.cancel()
    with pytest.raises(ConnectionError, match="shutting down"):
        await write
    assert not write.cancelled()  # the caller itself was not cancelled
