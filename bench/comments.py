"""Comment submissions through the core with 50 concurrent authors, on SQLite and PostgreSQL.

Run: `.venv/bin/python -m bench.comments [--runs 5]`. Two measurements per store:

- capacity: 50 authors submit back to back (closed loop); comments/s is the most the store
  sustains. With 50 always waiting, latency there is queueing (Little's law: 50 / rate).
- latency at load: the same 50 authors submit at a fixed total rate (open loop, 1,000/s on
  SQLite, 500/s on PostgreSQL, as the targets say); p50/p99 are the submitters' waits.

Every submission goes through `Core.submit_comment` (rules, audit entry, event key), and every
acknowledged comment is read back afterwards. The floor is a bare INSERT of the same row
through the same `Database.write`, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy import func, insert, select

from bench.report import machine, median, percentile, table
from core.actors import Actor, Request
from core.app import Core
from core.config import CommentRules, Settings
from core.heap import settle_after_start_up
from core.store.engine import Database
from core.store.tables import Comment
from tests.support.databases import migrate
from tests.support.postgres import find_bindir, running_server

ROOT = Path(__file__).resolve().parents[1]
AUTHORS = 50
Submit = Callable[[int, int], Awaitable[bool]]


@dataclass
class Run:
    rate: float
    latencies: list[float]
    errors: int
    locked: int
    acknowledged: int
    read_back: int


async def closed_loop(submit: Submit, per_author: int) -> tuple[float, list[float], int, int]:
    latencies: list[float] = []
    errors = locked = 0

    async def author(n: int) -> None:
        nonlocal errors, locked
        for i in range(per_author):
            started = time.perf_counter()
            try:
                ok = await submit(n, i)
            except Exception as exc:
                ok, locked = False, locked + ("locked" in str(exc))
            latencies.append(time.perf_counter() - started)
            errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(author(n) for n in range(AUTHORS)))
    return time.perf_counter() - started, latencies, errors, locked


async def open_loop(
    submit: Submit, rate: float, seconds: float
) -> tuple[float, list[float], int, int]:
    """Start submissions on a fixed schedule, whatever the previous ones are doing."""
    latencies: list[float] = []
    errors = locked = 0
    total = int(rate * seconds)

    async def one(k: int) -> None:
        nonlocal errors, locked
        started = time.perf_counter()
        try:
            ok = await submit(k % AUTHORS, k // AUTHORS)
        except Exception as exc:
            ok, locked = False, locked + ("locked" in str(exc))
        latencies.append(time.perf_counter() - started)
        errors += not ok

    tasks = []
    began = time.perf_counter()
    for k in range(total):
        delay = began + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(k)))
    await asyncio.gather(*tasks)
    return time.perf_counter() - began, latencies, errors, locked


async def through_core(url: str, synchronous: str, load: Callable[[Submit], Awaitable]) -> Run:  # type: ignore[type-arg]
    settings = Settings(
        database_url=url,
        content_dir=ROOT / "content",
        sqlite_synchronous=synchronous,
        # Authors here post faster than a person can; the flood rule would refuse them.
        comment_rules=CommentRules(flood_seconds=0),
    )
    core = await Core.open(settings)
    settle_after_start_up()  # as the bot's entry points do
    try:
        authors = [Actor("telegram", str(100_000 + n), f"Reader {n}") for n in range(AUTHORS)]

        async def submit(n: int, i: int) -> bool:
            request = Request(authors[n], event_key=f"bench:{n}:{i}")
            outcome = await core.submit_comment(request, f"Comment {i} from reader {n}: a view.")
            return not outcome.reply.is_error

        elapsed, latencies, errors, locked = await load(submit)
        stored = await core.database.read(
            lambda s: s.scalar(select(func.count()).select_from(Comment)) or 0
        )
        done = len(latencies) - errors
        return Run(len(latencies) / elapsed, latencies, errors, locked, done, stored)
    finally:
        await core.close()


async def floor(url: str, synchronous: str, load: Callable[[Submit], Awaitable]) -> Run:  # type: ignore[type-arg]
    database = Database.connect(url, sqlite_synchronous=synchronous)
    now = datetime.now(UTC)
    try:

        async def submit(n: int, i: int) -> bool:
            row = {
                "article_slug": "stargate",
                "author_platform": "telegram",
                "author_user_id": str(n),
                "author_name": "x",
                "text": f"Comment {i} from reader {n}",
                "text_digest": f"{n}-{i}",
                "status": "pending",
                "hold_reasons": "",
                "created_at": now,
                "delivery": "not_needed",
            }
            await database.write(lambda s: s.execute(insert(Comment).values(**row)))
            return True

        elapsed, latencies, errors, locked = await load(submit)
        return Run(
            len(latencies) / elapsed, latencies, errors, locked, len(latencies), len(latencies)
        )
    finally:
        await database.close()


async def migrated(url: str) -> str:
    await migrate(url)
    return url


def measure(
    label: str, urls: Iterator[str], synchronous: str, target: float, runs: int, per_author: int
) -> list[object]:
    def capacity(submit: Submit):  # type: ignore[no-untyped-def]
        return closed_loop(submit, per_author)

    def at_target(submit: Submit):  # type: ignore[no-untyped-def]
        return open_loop(submit, target, seconds=3)

    cap, flo, lat = [], [], []
    for _ in range(runs):
        cap.append(
            asyncio.run(through_core(asyncio.run(migrated(next(urls))), synchronous, capacity))
        )
        flo.append(asyncio.run(floor(asyncio.run(migrated(next(urls))), synchronous, capacity)))
        lat.append(
            asyncio.run(through_core(asyncio.run(migrated(next(urls))), synchronous, at_target))
        )
    loaded = [x for r in lat for x in r.latencies]
    every = cap + lat
    return [
        label,
        median([r.rate for r in cap]),
        median([r.rate for r in flo]),
        median([r.rate for r in cap]) / median([r.rate for r in flo]),
        target,
        median([r.rate for r in lat]),
        percentile(loaded, 0.50) * 1000,
        percentile(loaded, 0.99) * 1000,
        sum(r.errors for r in every),
        sum(r.locked for r in every),
        "yes" if all(r.read_back == r.acknowledged for r in every) else "NO",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--per-author", type=int, default=40)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        numbers = iter(range(10**9))
        sqlite_urls = (f"sqlite+aiosqlite:///{tmp}/bench-{n}.sqlite3" for n in numbers)
        for synchronous in ("NORMAL", "FULL"):
            rows.append(
                measure(
                    f"SQLite {synchronous}",
                    sqlite_urls,
                    synchronous,
                    1000,
                    args.runs,
                    args.per_author,
                )
            )
        bindir = find_bindir()
        if bindir is not None and not args.skip_postgres:
            admin = stack.enter_context(running_server(bindir, durable=True))
            rows.append(
                measure(
                    "PostgreSQL",
                    _pg_urls(admin, numbers),
                    "NORMAL",
                    500,
                    args.runs,
                    args.per_author,
                )
            )
    print(
        f"Comment submissions through the core, {AUTHORS} concurrent authors; medians of "
        f"{args.runs} runs; {machine()}"
    )
    print(
        table(
            [
                "store",
                "capacity/s",
                "floor inserts/s",
                "vs floor",
                "offered/s",
                "achieved/s",
                "p50 ms",
                "p99 ms",
                "errors",
                "locked",
                "all read back",
            ],
            rows,
        )
    )


def _pg_urls(admin_url: str, numbers: Iterator[int]) -> Iterator[str]:
    base = admin_url.rsplit("/", 1)[0]
    for n in numbers:
        name = f"bench_{n}"
        asyncio.run(_create_database(admin_url, name))
        yield f"{base}/{name}"


async def _create_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
