"""Telegram read path: the product's adapter against a bare PTB echo bot, same fake, same run.

Run: `.venv/bin/python -m bench.telegram_read [--runs 3] [--updates 3000] [--chats 200]
[--rate 400] [--profile DIR]` (--profile: cProfile each bot process into DIR, print where the
product spends the time the bare bot does not).

Each bot runs as its own process against one loopback Bot API fake in this process
(bench/_telegram_fake.py: no reply validation, so the fake stays cheap next to the bots):

- product: `python -m bots.telegram` unmodified (TelegramAdapter on a real Core over SQLite,
  `TELEGRAM_RATE_LIMIT=off`), answering `/faq <question>` and `/stargate`;
- floor: `python -m bench.echo_bot`, PTB with the same concurrent updates, pool, timeouts and
  allowed updates, sending each text back.

Per run and bot: a warm-up (one update per chat), then

- capacity: N updates over C private chats made available at once; updates/s from the first
  update served by getUpdates to the last reply; bot CPU per update from /proc. Latency here is
  mostly the wait in the queue (the last update waits for all the others);
- latency at load: the same mix offered at a fixed rate (default 400/s, the target) for a few
  seconds; p50/p99 from "available to getUpdates" to its sendMessage recorded by the fake.

The bots alternate order each run; figures are medians over runs (latency percentiles over
all the runs' samples).
"""

from __future__ import annotations

import argparse
import asyncio
import pstats
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench._telegram_fake import TOKEN, LeanBotApi
from bench._telegram_proc import BotProcess, clean_env
from bench.report import machine, median, percentile, table

TEXTS = (
    "/faq why wasnt microsoft there",
    "/stargate",
    "/faq how much money",
    "/faq what is stargat",  # a typo: the fuzzy matcher, not an exact phrasing
    "/stargate",
    "/faq how does stargate impact the ai industry",
)
FIRST_CHAT = 10_000
BOTS = {"bare PTB echo": ["-m", "bench.echo_bot"], "product": ["-m", "bots.telegram"]}


@dataclass
class Figures:
    capacity: list[float] = field(default_factory=list)
    cpu_per_update: list[float] = field(default_factory=list)
    burst_latencies: list[float] = field(default_factory=list)
    paced_rate: list[float] = field(default_factory=list)
    paced_latencies: list[float] = field(default_factory=list)
    problems: int = 0


def feed(api: LeanBotApi, count: int, chats: int, start: int = 0) -> None:
    for i in range(start, start + count):
        api.push(FIRST_CHAT + i % chats, TEXTS[i % len(TEXTS)])


async def one_run(name: str, args: list[str], opts: argparse.Namespace, tmp: Path) -> Figures:
    api = LeanBotApi()
    await api.start()
    figures = Figures()
    env = clean_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.root,
        TELEGRAM_RATE_LIMIT="off",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/{name.replace(' ', '_')}-{time.time_ns()}.db",
    )
    if opts.profile:
        args = ["-m", "cProfile", "-o", str(profile_path(opts.profile, name)), *args]
    bot = await BotProcess.spawn(args, env, tmp, name.replace(" ", "_"))
    try:
        while api.first_poll_at is None:
            bot.check_alive()
            await asyncio.sleep(0.02)

        api.begin(opts.chats)
        feed(api, opts.chats, opts.chats)
        if not await api.finished(60):
            raise RuntimeError(f"{name}: warm-up unanswered\n{bot.tail()}")

        window = api.begin(opts.updates)
        cpu = bot.cpu_seconds()
        feed(api, opts.updates, opts.chats)
        if not await api.finished(opts.updates / 20 + 30):
            raise RuntimeError(f"{name}: {len(window.latencies)}/{opts.updates} answered")
        figures.cpu_per_update.append((bot.cpu_seconds() - cpu) / opts.updates)
        figures.capacity.append(window.rate)
        figures.burst_latencies = window.latencies

        total = int(opts.rate * opts.seconds)
        window = api.begin(total)
        began = time.monotonic()
        for i in range(total):
            delay = began + i / opts.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            feed(api, 1, opts.chats, start=i)
        if not await api.finished(60):
            raise RuntimeError(f"{name}: {len(window.latencies)}/{total} answered at load")
        figures.paced_rate.append(total / ((window.last_reply or began) - began))
        figures.paced_latencies = window.latencies
        figures.problems = api.unexpected + len(api.failed_calls)
    finally:
        status = await bot.stop()
        await api.stop()
    if status != 0:
        raise RuntimeError(f"{name} exited with {status}:\n{bot.tail()}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--rate", type=float, default=400.0, help="offered updates/s at load")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the load phase")
    parser.add_argument("--profile", help="cProfile both bot processes into this directory")
    opts = parser.parse_args()

    results: dict[str, list[Figures]] = {name: [] for name in BOTS}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(opts.runs):
            order = list(BOTS.items()) if run % 2 == 0 else list(BOTS.items())[::-1]
            for name, args in order:
                results[name].append(asyncio.run(one_run(name, args, opts, Path(tmp))))

    rows = []
    for name, runs in results.items():
        burst = [x for r in runs for x in r.burst_latencies]
        paced = [x for r in runs for x in r.paced_latencies]
        rows.append(
            [
                name,
                median([x for r in runs for x in r.capacity]),
                median([x for r in runs for x in r.cpu_per_update]) * 1e6,
                percentile(burst, 0.5) * 1000,
                percentile(burst, 0.99) * 1000,
                median([x for r in runs for x in r.paced_rate]),
                percentile(paced, 0.5) * 1000,
                percentile(paced, 0.99) * 1000,
                sum(r.problems for r in runs),
            ]
        )
    floor, product = rows
    ratio = float(product[1]) / float(floor[1])  # type: ignore[arg-type]
    print(
        f"Telegram read path, {opts.updates} updates over {opts.chats} chats per run "
        f"(/faq and /stargate), TELEGRAM_RATE_LIMIT=off; medians of {opts.runs} runs; "
        f"{machine()}"
    )
    print(
        table(
            [
                "bot",
                "updates/s",
                "CPU µs/update",
                "burst p50 ms",
                "burst p99 ms",
                f"at {opts.rate:.0f}/s: achieved",
                "p50 ms",
                "p99 ms",
                "unmatched",
            ],
            rows,
        )
    )
    cpu_ratio = float(product[2]) / float(floor[2])  # type: ignore[arg-type]
    print(
        f"product / bare throughput: {ratio:.2f}x (target ≥ 0.80x: "
        f"{'met' if ratio >= 0.8 else 'missed'}); product {product[1]:,.0f} updates/s (target "
        f"≥ 400: {'met' if float(product[1]) >= 400 else 'missed'}); "  # type: ignore[arg-type]
        f"CPU per update {cpu_ratio:.2f}x the bare bot's"
    )
    if opts.profile:
        print_profiles(opts.profile)


def profile_path(directory: str, name: str) -> Path:
    path = Path(directory).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path / f"{name.replace(' ', '_')}.prof"


def _area(filename: str) -> str:
    for marker in ("/work/main/bots/", "/work/main/core/", "site-packages/"):
        if marker in filename:
            rest = filename.split(marker, 1)[1]
            return marker.strip("/").split("/")[-1] + "/" + rest.split("/")[0]
    return "python" if filename.startswith(("/", "~")) else filename


def print_profiles(directory: str) -> None:
    """Own time per package, both bots side by side (profiles of the last run, all phases)."""
    own: dict[str, dict[str, float]] = {}
    for name in BOTS:
        stats = pstats.Stats(str(profile_path(directory, name))).stats  # type: ignore[attr-defined]
        for (filename, _, _), (_, _, tottime, _, _) in stats.items():
            bucket = own.setdefault(_area(filename), {})
            bucket[name] = bucket.get(name, 0.0) + tottime
    names = list(BOTS)
    rows = sorted(own.items(), key=lambda kv: -kv[1].get(names[1], 0.0))[:20]
    print("Own CPU seconds by package under cProfile (the last run of each bot):")
    print(table(["package", *names], [[k, *(v.get(n, 0.0) for n in names)] for k, v in rows]))


if __name__ == "__main__":
    main()
