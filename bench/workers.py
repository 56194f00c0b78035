"""Throughput with 1, 2 and 3 worker processes on one PostgreSQL, in the same run.

Run: `.venv/bin/python -m bench.workers [--runs 3] [--updates 3000] [--chats 300]
[--workers 1,2,3] [--send-ms 0,50]`

Each process is `python -m bots.telegram` (polling mode: one is elected to poll, the others
stand by; all handle the shared inbox) against the lean loopback Bot API
(bench/_telegram_fake.py), on a throwaway PostgreSQL server. After a warm-up of one update per
chat, `--updates` private-chat updates (`/faq` and `/stargate`, as bench.telegram_read's mix)
are made available at once; updates/s runs from the first one served to the last reply.

Each setting runs twice: with the fake answering sendMessage at once (the bots are then
CPU-bound), and after 50 ms (`--send-ms`), about the Bot API's round trip from a European
host, where a worker's handler slots spend their time waiting on Telegram.

This machine has 2 cores, shared by the bots, PostgreSQL and the fake: the figures say what
more processes buy here, not what they would on more cores. Target (the project's issue): 2
workers ≥ 1.3x one worker.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import asyncpg

from bench._telegram_fake import TOKEN, LeanBotApi
from bench._telegram_proc import BotProcess, clean_env
from bench.report import machine, median, table
from bench.telegram_read import TEXTS
from drills._inprocess import new_postgres_database
from drills._process import PgCluster
from tests.support.postgres import find_bindir

FIRST_CHAT = 30_000
TARGET = 1.3
READY = "Telegram adapter running"


async def wait_ready(bots: list[BotProcess], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not all(READY in bot.log.read_text(errors="replace") for bot in bots):
        for bot in bots:
            bot.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError("bots not ready:\n" + "\n".join(b.tail() for b in bots))
        await asyncio.sleep(0.05)


async def answered(api: LeanBotApi, bots: list[BotProcess], within: float) -> None:
    deadline = time.monotonic() + within
    while not await api.finished(1.0):
        for bot in bots:
            bot.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError("replies missing:\n" + "\n".join(b.tail() for b in bots))


async def one_run(
    admin_url: str, workers: int, updates: int, chats: int, send_ms: int, tmp: Path
) -> float:
    database_url = await new_postgres_database(admin_url)
    api = LeanBotApi()
    api.send_delay = send_ms / 1000
    await api.start()
    env = clean_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.root,
        TELEGRAM_RATE_LIMIT="off",
        COMMAND_RATE_PER_MINUTE="0",
        DATABASE_URL=database_url,
    )
    bots: list[BotProcess] = []
    try:
        # The first migrates the new database; the others start against it.
        run = time.time_ns()  # a log of its own: readiness is read from it
        bots.append(
            await BotProcess.spawn(["-m", "bots.telegram"], env, tmp, f"w{workers}-0-{run}")
        )
        await wait_ready(bots)
        for n in range(1, workers):
            bots.append(
                await BotProcess.spawn(["-m", "bots.telegram"], env, tmp, f"w{workers}-{n}-{run}")
            )
        await wait_ready(bots)
        # Every worker counted by the others (they count every second) before the load.
        await asyncio.sleep(1.5)
        api.begin(chats)
        for n in range(chats):
            api.push(FIRST_CHAT + n, TEXTS[n % len(TEXTS)])
        await answered(api, bots, 60)
        window = api.begin(updates)
        for i in range(updates):
            api.push(FIRST_CHAT + i % chats, TEXTS[i % len(TEXTS)])
        await answered(api, bots, updates / 20 + 60)
        if api.unexpected:
            raise RuntimeError(f"{api.unexpected} replies to nothing outstanding (duplicates)")
        print(
            f"  {workers} workers, {send_ms} ms: {window.rate:,.0f}/s; handled by: "
            f"{await shares(database_url)}"
        )
        return window.rate
    finally:
        await asyncio.gather(*(bot.stop() for bot in bots))
        await api.stop()


async def shares(database_url: str) -> str:
    """How the updates were shared among the workers (entries per owner, largest first)."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await connection.fetch("SELECT owner, count(*) AS n FROM inbox GROUP BY owner")
    finally:
        await connection.close()
    return " / ".join(str(row["n"]) for row in sorted(rows, key=lambda r: -r["n"]))


async def main_async(opts: argparse.Namespace) -> None:
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (`make postgres` installs it)")
    counts = [int(n) for n in opts.workers.split(",")]
    delays = [int(n) for n in opts.send_ms.split(",")]
    rates: dict[tuple[int, int], list[float]] = {(d, n): [] for d in delays for n in counts}
    cluster = PgCluster(bindir)
    cluster.create()
    cluster.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
            for run in range(opts.runs):
                order = counts if run % 2 == 0 else counts[::-1]
                for delay in delays:
                    for workers in order:
                        rate = await one_run(
                            cluster.url, workers, opts.updates, opts.chats, delay, Path(tmp)
                        )
                        rates[delay, workers].append(rate)
    finally:
        cluster.destroy()
    print(
        f"Worker processes on one PostgreSQL (polling, one elected poller); "
        f"{opts.updates} updates over {opts.chats} chats; medians of {opts.runs} runs; {machine()}"
    )
    rows = []
    for delay in delays:
        base = median(rates[delay, counts[0]])
        for n in counts:
            found = rates[delay, n]
            rows.append(
                [
                    f"{delay} ms",
                    n,
                    median(found),
                    f"{median(found) / base:.2f}x",
                    ", ".join(f"{r:,.0f}" for r in found),
                ]
            )
    print(table(["sendMessage takes", "workers", "updates/s", f"vs {counts[0]}", "runs"], rows))
    if 1 in counts and 2 in counts:
        for delay in delays:
            ratio = median(rates[delay, 2]) / median(rates[delay, 1])
            verdict = "met" if ratio >= TARGET else "missed"
            print(f"sendMessage {delay} ms: 2 workers / 1 = {ratio:.2f}x ({verdict} ≥ {TARGET}x)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--send-ms", default="0,50", help="sendMessage answer delays to run")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
