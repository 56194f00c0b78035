"""Discord: time to first acknowledgement and interactions/s through the real discord.py stack.

Run: `.venv/bin/python -m bench.discord_interactions [--runs 3] [--seconds 20] [--rate 50]
[--slow sleep|sql|export]`.

The product is the Discord adapter (bots/discord, unmodified) on a real Core over SQLite; raw
INTERACTION_CREATE payloads go to discord.py's gateway parser as in
tests/support/discord_harness.py, and discord.py answers over HTTP to the loopback fake Discord,
which runs in its own process and records when each request arrived. Acknowledgement = the
interaction's callback (defer, modal) reaching the fake; final reply = the last request on the
interaction's token.

- open loop: `--rate` interactions/s on a fixed schedule for `--seconds`, whatever earlier ones
  are doing. Mix per 40: 12 /faq <question>, 6 /stargate, 8 section buttons, 4 /comments,
  3 /comment (opens the form), 3 form submissions (store write), 4 slow moderator commands:
  the 10% slow handlers. The store holds 2,000 pending comments. What makes them slow:
  - `sleep` (default): /pending whose store call awaits 200 ms more inside `Database.read`
    (a slow database server: the process is free meanwhile);
  - `sql`: /pending whose read transaction first runs a recursive SQLite query calibrated to
    200 ms (real CPU in the store's thread, on this 2-core machine);
  - `export`: /export of the 2,000 comments as JSON and CSV (real work in the process).
- capacity: `--workers` senders, each sending its next interaction once the last was handled.
- baseline, same harness and mix: a bare discord.py client that defers every interaction and
  replies "Done." (no core, no store).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord
import discord.http

from bench._discord_fake import FakeProcess, fake_process
from bench._discord_load import (
    BLOCK,
    Driver,
    Item,
    Mix,
    SlowStoreCore,
    bare_client,
    calibrate_sql,
    prefill,
    product_client,
)
from bench.report import machine, median, percentile, table
from core.heap import settle_after_start_up
from tests.support.discord_harness import Payloads, User
from tests.support.settings import grant_test_moderators, make_settings

PREFILLED = 2000
SLOW_COMMAND = {"sleep": "pending", "sql": "pending", "export": "export"}
SLOW_LABEL = {
    "sleep": "/pending, +200 ms awaited in the store call",
    "sql": "/pending, +200 ms of SQLite work in its read transaction",
    "export": f"/export of {PREFILLED:,} comments",
}
WARM_UP = 40

ClientFactory = Callable[..., Awaitable[discord.Client]]


@dataclass
class Run:
    items: list[Item]
    span: float
    refused: int
    problems: int
    unacknowledged: int
    lags: list[float]

    def acks(self, kinds: set[str] | None = None) -> list[float]:
        return [i.ack - i.sent for i in self._mine(kinds) if i.ack is not None]

    def finals(self, kinds: set[str] | None = None) -> list[float]:
        return [i.final - i.sent for i in self._mine(kinds) if i.final is not None]

    def _mine(self, kinds: set[str] | None) -> list[Item]:
        return [i for i in self.items if kinds is None or i.kind in kinds]

    @property
    def rate(self) -> float:
        return len(self.items) / self.span

    @property
    def not_acked(self) -> int:
        return sum(i.ack is None for i in self.items)


Load = Callable[[Driver, list[Item]], Awaitable[float]]


async def run_once(make: ClientFactory, seed: int, load: Load, *, count: int, slow: str) -> Run:
    """One client on a fresh store and a fresh fake Discord, under one load."""
    with tempfile.TemporaryDirectory() as tmp:
        core = await SlowStoreCore.open(make_settings(f"sqlite+aiosqlite:///{tmp}/b.sqlite3"))
        assert isinstance(core, SlowStoreCore)
        grant_test_moderators(core)  # the bare client has no settings of its own to grant
        try:
            await prefill(core, PREFILLED)
            if slow == "sql":
                core.slow_sql_rows = await calibrate_sql(core, core.slow_seconds)
            if slow != "export":  # /export is slow by itself
                core.slow_down_store()
            async with fake_process() as fake:
                saved = discord.http.Route.BASE
                discord.http.Route.BASE = fake.url
                try:
                    return await drive(make, core, fake, seed, load, count, slow)
                finally:
                    discord.http.Route.BASE = saved
        finally:
            await core.close()


async def drive(
    make: ClientFactory,
    core: SlowStoreCore,
    fake: FakeProcess,
    seed: int,
    load: Load,
    count: int,
    slow: str,
) -> Run:
    # The summary message whose section buttons readers press comes from a real /stargate.
    opener = User(40_000, "Warm Up")
    driver = Driver(fake, Mix(seed, {}, SLOW_COMMAND[slow]))
    client = await make(core, driver.handled)
    driver.client = client
    try:
        first = Item("stargate", opener, Payloads().slash("stargate", opener))
        await driver.send(first)
        await asyncio.wait_for(first.handled.wait(), 10)
        driver.mix.summary = await fake.get(f"original/{first.token}")
        warm = driver.mix.items(WARM_UP)
        await driver.prepare(warm)
        await driver.open_loop(warm, 20)
        # As `python -m bots` does once started: without it, whether a full collection's pause
        # over the start-up heap (~50 ms) fell inside the window was threshold luck.
        settle_after_start_up()
        items = driver.mix.items(count)
        await driver.prepare(items)
        span = await load(driver, items)
        sent = [i for i in items if i.sent]
        return Run(sent, span, driver.refused, driver.problems, driver.unacknowledged, driver.lags)
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--capacity-seconds", type=float, default=10)
    parser.add_argument("--slow", choices=list(SLOW_COMMAND), default="sleep")
    args = parser.parse_args()
    count = int(args.rate * args.seconds)

    async def open_loop(driver: Driver, items: list[Item]) -> float:
        await driver.open_loop(items, args.rate)
        return max(i.final or i.sent for i in items) - min(i.sent for i in items)

    async def capacity(driver: Driver, items: list[Item]) -> float:
        return await driver.closed_loop(items, args.workers, args.capacity_seconds)

    clients: dict[str, ClientFactory] = {"product": product_client, "bare discord.py": bare_client}
    loaded: dict[str, list[Run]] = {name: [] for name in clients}
    flat_out: dict[str, list[Run]] = {name: [] for name in clients}
    for run in range(args.runs):
        for name, make in clients.items():
            loaded[name].append(
                asyncio.run(run_once(make, run, open_loop, count=count, slow=args.slow))
            )
            flat_out[name].append(
                asyncio.run(run_once(make, run, capacity, count=20_000, slow=args.slow))
            )
            time.sleep(0.5)
    print(
        f"Discord interactions through discord.py, open loop at {args.rate:.0f}/s for "
        f"{args.seconds:.0f} s ({count} interactions a run; mix per 40: "
        + ", ".join(f"{n} {k}" for k, n in BLOCK.items())
        + f"); slow: {SLOW_LABEL[args.slow]}; medians of {args.runs} runs; {machine()}"
    )
    rows = []
    for name, runs in loaded.items():
        slow_only = f"{name}: slow /{SLOW_COMMAND[args.slow]} only"
        for label, kinds in ((name, None), (slow_only, {"slow"})):
            if kinds and name != "product":
                continue
            rows.append(
                [
                    label,
                    args.rate if kinds is None else "-",
                    median([r.rate for r in runs]) if kinds is None else "-",
                    *_ms(runs, lambda r, k=kinds: r.acks(k)),  # type: ignore[misc]
                    *_ms(runs, lambda r, k=kinds: r.finals(k)),  # type: ignore[misc]
                    median([percentile(r.lags, 0.99) for r in runs]) * 1000,
                    median([max(r.lags, default=0.0) for r in runs]) * 1000,
                    sum(r.not_acked for r in runs),
                    sum(r.refused for r in runs),
                    sum(r.problems + r.unacknowledged for r in runs),
                ]
            )
    print(
        table(
            [
                "client",
                "offered/s",
                "achieved/s",
                "ack p50 ms",
                "ack p99 ms",
                "ack max ms",
                "final p50 ms",
                "final p99 ms",
                "final max ms",
                "loop lag p99 ms",
                "loop lag max ms",
                "not acked",
                "refused",
                "limit problems",
            ],
            rows,
        )
    )
    bare = median([r.rate for r in flat_out["bare discord.py"]])
    print()
    print(f"Capacity: {args.workers} senders, each waiting for its last interaction; same mix")
    print(
        table(
            ["client", "interactions/s", "vs bare", "ack p50 ms", "ack p99 ms", "not acked"],
            [
                [
                    name,
                    median([r.rate for r in runs]),
                    median([r.rate for r in runs]) / bare,
                    *_ms(runs, lambda r: r.acks())[:2],
                    sum(r.not_acked for r in runs),
                ]
                for name, runs in flat_out.items()
            ],
        )
    )


def _ms(runs: list[Run], values: Callable[[Run], list[float]]) -> list[float]:
    """p50, p99 and max in ms: medians over runs of each run's figure."""
    return [
        median([percentile(values(r), 0.50) for r in runs]) * 1000,
        median([percentile(values(r), 0.99) for r in runs]) * 1000,
        median([max(values(r), default=float("nan")) for r in runs]) * 1000,
    ]


if __name__ == "__main__":
    main()
