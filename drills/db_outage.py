"""Drill: stop PostgreSQL under the running Telegram bot, start it again, measure the recovery.

Run: `.venv/bin/python -m drills.db_outage [--rounds 3] [--outage 5] [--readers 16]
[--stop-mode fast|immediate]`

Readers (one chat each, one request at a time) alternate `/comments` (a read from the store)
and `/comment <text>` (a stored draft and its preview) against `python -m bots.telegram` on a
PostgreSQL server this drill created with initdb. Mid-load the server is stopped
(`pg_ctl stop -m fast`: sessions are cut), left down for the outage, and started again on the
same data directory. A request that arrives while the server is down cannot be committed to
the inbox, so it stays with Telegram: its sender is told once that the answer will come
(core.app.STORE_DELAYED), and the answer comes once the server is back. A request the bot had
already taken when the server went away may get the store's "try again" text
(core.app.STORE_UNAVAILABLE). Every request must get its answer; the process must keep running,
and service must resume without restarting it. Recovery ("recovered s") is the time from the
server accepting connections again (`pg_ctl start -w` returned) to the answer of the first
request after which every request succeeded.
Exits non-zero on any other error reply, a request left unanswered, a dead process, or a
failure in the last seconds of a round.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

from bench.report import median
from drills._process import (
    BotProcess,
    CallIndex,
    DrillReport,
    PgCluster,
    bot_env,
    quiet_fake_server,
    workdir,
)
from tests.support.postgres import find_bindir
from tests.support.telegram_api import Call, FakeBotApi

FIRST_READER = 40_001
REPLY_WITHIN = 20.0
# Requests sent in this last part of each round must all succeed: service is back.
STEADY_TAIL = 1.0
OK, TRY_AGAIN, ERROR, NO_REPLY = "ok", "try again", "error", "no reply"
DELAYED = "delayed"  # the notice before the answer, not the answer
HEADERS = [
    "round", "outage s", "sent", "ok", "told to wait or try again", "other error", "no reply",
    "first notice s", "notice p50 ms", "recovered s", "process alive",
]  # fmt: skip


@dataclass
class Sent:
    at: float
    outcome: str = NO_REPLY
    answered_at: float = 0.0
    noticed_at: float = 0.0  # when "I'll answer once the store is back" came, if it did


def keys(call: Call) -> list[Hashable]:
    chat = call.params.get("chat_id")
    return [chat] if call.method == "sendMessage" and isinstance(chat, int) and chat > 0 else []


def classify(text: str) -> str:
    if "as soon as it's back" in text:
        return DELAYED
    if "reach my storage" in text:
        return TRY_AGAIN
    if "something went wrong" in text:
        return ERROR
    return OK


class Readers:
    """Closed-loop readers: each sends a request, waits for its reply, then sends the next."""

    def __init__(self, api: FakeBotApi, index: CallIndex, count: int) -> None:
        self.api = api
        self.index = index
        self.users = [FakeBotApi.user(FIRST_READER + i, f"Reader{i}") for i in range(count)]
        self.replies = dict.fromkeys((u["id"] for u in self.users), 0)
        self.sent: list[Sent] = []
        self.stuck: set[int] = set()  # readers whose reply never came: their order is lost

    async def read(self, user: dict[str, object], stop: asyncio.Event, pause: float) -> None:
        uid = int(str(user["id"]))
        n = 0
        while not stop.is_set() and uid not in self.stuck:
            text = "/comments" if n % 2 else f"/comment Outage drill {uid} number {n} hello"
            request = Sent(time.monotonic())
            self.sent.append(request)
            self.api.message(user, text)
            try:
                async with asyncio.timeout(REPLY_WITHIN):
                    reply = await self.index.nth(uid, self.replies[uid])
                    self.replies[uid] += 1
                    if classify(str(reply.params.get("text"))) == DELAYED:
                        request.noticed_at = time.monotonic()
                        reply = await self.index.nth(uid, self.replies[uid])  # the answer
                        self.replies[uid] += 1
            except TimeoutError:
                self.stuck.add(uid)
                return
            request.outcome = classify(str(reply.params.get("text")))
            request.answered_at = time.monotonic()
            n += 1
            await asyncio.sleep(pause)


async def run(
    rounds: int = 3,
    outage: float = 5.0,
    readers: int = 16,
    before: float = 2.0,
    after: float = 5.0,
    stop_mode: str = "fast",
    entry: str = "bots.telegram",
    keep: Path | None = None,
) -> DrillReport:
    quiet_fake_server()
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (initdb not found): `make postgres`")
    report = DrillReport(
        f"database outage drill: {rounds} rounds, PostgreSQL stopped ({stop_mode}) for "
        f"{outage:g} s each, {readers} readers",
        HEADERS,
    )
    cluster = PgCluster(bindir)
    root = keep or workdir("drill-outage-")
    api = FakeBotApi()
    bot = BotProcess(bot_env("", cluster.url), root, entry)
    try:
        cluster.create()
        cluster.start()
        await api.start()
        bot.env["TELEGRAM_API_BASE_URL"] = api.root
        async with CallIndex(api, keys) as index:
            load = Readers(api, index, readers)
            await bot.start()
            for round_ in range(1, rounds + 1):
                await _one_round(
                    load, cluster, bot, round_, (outage, before, after), stop_mode, report
                )
    finally:
        await bot.close()
        await api.stop()
        cluster.destroy()
        report.tidy(root, keep=keep, what="bot log")
    return report


async def _one_round(
    load: Readers,
    cluster: PgCluster,
    bot: BotProcess,
    round_: int,
    timing: tuple[float, float, float],
    stop_mode: str,
    report: DrillReport,
) -> None:
    outage, before, after = timing
    first = len(load.sent)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(load.read(u, stop, pause=0.05)) for u in load.users]
    await asyncio.sleep(before)
    down_at = time.monotonic()
    await asyncio.to_thread(cluster.stop, stop_mode)
    await asyncio.sleep(max(0.0, outage - (time.monotonic() - down_at)))
    await asyncio.to_thread(cluster.start)
    up_at = time.monotonic()
    await asyncio.sleep(after)
    stop.set()
    await asyncio.gather(*tasks)
    sent = load.sent[first:]
    failed = [r for r in sent if r.outcome != OK or r.noticed_at]
    noticed = [r.noticed_at or r.answered_at for r in failed if r.at >= down_at and r.answered_at]
    first_fail = min(noticed, default=None)
    # Recovered once every later request succeeded; timed from the server being back.
    last_failure = max((r.at for r in failed), default=up_at)
    recovered = min(
        (r.answered_at for r in sent if r.outcome == OK and r.at > last_failure), default=None
    )
    waits = [
        (r.noticed_at or r.answered_at) - r.at
        for r in sent
        if r.noticed_at or r.outcome == TRY_AGAIN
    ]
    counts = {o: sum(1 for r in sent if r.outcome == o) for o in (OK, ERROR, NO_REPLY)}
    counts[TRY_AGAIN] = sum(1 for r in sent if r.outcome == TRY_AGAIN or r.noticed_at)
    alive = bot.running
    report.rows.append(
        [
            round_, up_at - down_at, len(sent), counts[OK], counts[TRY_AGAIN], counts[ERROR],
            counts[NO_REPLY],
            "-" if first_fail is None else f"{first_fail - down_at:.2f}",
            median(waits) * 1000 if waits else "-",
            "never" if recovered is None else f"{max(0.0, recovered - up_at):.2f}",
            "yes" if alive else "NO",
        ]
    )  # fmt: skip
    if not alive:
        report.problems.append(f"round {round_}: the bot process died\n{bot.tail()}")
    if counts[ERROR] or counts[NO_REPLY]:
        report.problems.append(
            f"round {round_}: {counts[ERROR]} replies other than 'try again', "
            f"{counts[NO_REPLY]} requests unanswered"
        )
    tail = [r for r in sent if r.at >= up_at + after - STEADY_TAIL]
    if not tail or any(r.outcome != OK for r in tail):
        report.problems.append(f"round {round_}: service not back {after:g} s after the restart")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--outage", type=float, default=5.0, help="seconds PostgreSQL is down")
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument(
        "--stop-mode",
        choices=["fast", "immediate"],
        default="fast",
        help="pg_ctl stop mode: fast cuts sessions cleanly, immediate is a crash",
    )
    parser.add_argument(
        "--entry", default="bots.telegram", help="module the bot runs as: bots.telegram or bots"
    )
    args = parser.parse_args(argv)
    report = asyncio.run(
        run(args.rounds, args.outage, args.readers, stop_mode=args.stop_mode, entry=args.entry)
    )
    print(f"bot: python -m {args.entry}")
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
