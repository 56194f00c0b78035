"""Memory and start-up of `python -m bots` with both adapters, against loopback fakes.

Run: `.venv/bin/python -m bench.memory [--soak 600] [--rate 100] [--starts 5]`
(`--soak 60` for a quick run).

`python -m bots` runs as a subprocess with TELEGRAM_BOT_TOKEN and DISCORD_BOT_TOKEN set, on
SQLite, `TELEGRAM_RATE_LIMIT=off`. Telegram talks to the lean fake Bot API in this process
(TELEGRAM_API_BASE_URL); Discord to FakeDiscord (tests/support/discord_api.py), REST and
gateway. discord.py has no setting for its API root, so the child gets a `sitecustomize` on
its PYTHONPATH that points `discord.http.Route.BASE` at the fake before anything runs, as the
tests do with monkeypatch; the product's code is unchanged. RSS is VmRSS from /proc.

- start-up: spawn to the first getUpdates the fake records, median of `--starts` restarts on a
  migrated store (and the first start, which also creates and migrates the store);
- idle: RSS once both adapters are connected (first poll, Discord IDENTIFY) and quiet;
- 100,000 comments: the store pre-filled in bulk (valid rows: 70% approved, 20% pending,
  10% rejected, each with its audit row), then /comments and /pending pages asked a few
  times; RSS once quiet;
- soak: on that same process, /faq and /stargate at `--rate` updates/s over `--chats` chats
  (a tenth as Discord slash commands) for `--soak` seconds; RSS every `--every` seconds;
  growth is the last sample minus the first taken under load.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench._telegram_fake import TOKEN, LeanBotApi
from bench._telegram_load import SteadyFeed, prefill_comments, quiet
from bench._telegram_proc import BotProcess, clean_env
from bench.report import machine, median, table
from tests.support.databases import migrate
from tests.support.discord_api import GUILD_ID, MOD_CHANNEL_ID, FakeDiscord

MODERATOR = 1001
# The libraries `python -m bots` cannot run without, imported and nothing else.
FLOOR = """\
import signal, sys
import pydantic_settings, sqlalchemy.ext.asyncio, aiosqlite, telegram.ext, discord
print("ready", flush=True)
signal.pause()
"""
HOOK = """\
import os

if os.environ.get("BENCH_DISCORD_API"):
    import discord.http

    discord.http.Route.BASE = os.environ["BENCH_DISCORD_API"]
"""


class Fakes:
    """The two loopback platforms, and `python -m bots` pointed at them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.api = LeanBotApi()
        self.discord = FakeDiscord()

    async def __aenter__(self) -> Fakes:
        await self.api.start()
        await self.discord.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.api.stop()
        await self.discord.stop()

    async def spawn(self, database: Path) -> BotProcess:
        hook = self.tmp / "hook"
        hook.mkdir(exist_ok=True)
        (hook / "sitecustomize.py").write_text(HOOK)
        env = clean_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=self.api.root,
            TELEGRAM_RATE_LIMIT="off",
            TELEGRAM_MODERATOR_IDS=str(MODERATOR),
            DISCORD_BOT_TOKEN="fake-token",
            DISCORD_GUILD_ID=str(GUILD_ID),
            DISCORD_MODERATION_CHANNEL_ID=str(MOD_CHANNEL_ID),
            BENCH_DISCORD_API=self.discord.url,
            DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        )
        env["PYTHONPATH"] = f"{hook}:{env['PYTHONPATH']}"
        return await BotProcess.spawn(["-m", "bots"], env, self.tmp, "bots")

    async def ready(self, bot: BotProcess, within: float = 60.0) -> float:
        """Wait for the first getUpdates and the Discord IDENTIFY; seconds to the first poll."""
        deadline = time.monotonic() + within
        while self.api.first_poll_at is None or not self.discord.identified:
            bot.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"bot not ready in {within:.0f} s:\n{bot.tail()}")
            await asyncio.sleep(0.005)
        return self.api.first_poll_at - bot.started


@dataclass
class Start:
    to_first_call: float  # interpreter, imports, Core.open (content, store, migrations)
    to_first_poll: float  # + getMe, command menus, deleteWebhook: polling begins


async def start_once(tmp: Path, database: Path) -> Start:
    async with Fakes(tmp) as fakes:
        bot = await fakes.spawn(database)
        try:
            to_poll = await fakes.ready(bot)
            assert fakes.api.first_call_at is not None
            return Start(fakes.api.first_call_at - bot.started, to_poll)
        finally:
            await bot.stop()


async def floor_rss(tmp: Path) -> float:
    """RSS of an interpreter that only imports the frameworks the bot is built on."""
    bot = await BotProcess.spawn(["-c", FLOOR], clean_env(), tmp, "floor")
    try:
        for _ in range(3000):
            bot.check_alive()
            if "ready" in bot.tail():
                break
            await asyncio.sleep(0.01)
        return await settled_rss(bot, 1.5)
    finally:
        await bot.stop()


async def settled_rss(bot: BotProcess, seconds: float = 3.0) -> float:
    """Median of RSS samples over a few quiet seconds."""
    samples = []
    for _ in range(int(seconds / 0.5)):
        await asyncio.sleep(0.5)
        samples.append(bot.rss_mb())
    return statistics.median(samples)


async def idle(tmp: Path, database: Path) -> float:
    async with Fakes(tmp) as fakes:
        bot = await fakes.spawn(database)
        try:
            await fakes.ready(bot)
            await quiet(fakes.api, fakes.discord)
            return await settled_rss(bot)
        finally:
            await bot.stop()


async def loaded(
    tmp: Path, database: Path, opts: argparse.Namespace
) -> tuple[float, list[tuple[float, float]], int]:
    """RSS with the big store after /comments and /pending; then the soak's samples."""
    async with Fakes(tmp) as fakes:
        bot = await fakes.spawn(database)
        try:
            await fakes.ready(bot)
            for page in range(1, 6):
                for reader in range(5):
                    fakes.api.push(20_000 + reader, f"/comments {page}")
                fakes.api.push(MODERATOR, f"/pending {page}")
                await quiet(fakes.api, fakes.discord, gap=0.3)
            with_comments = await settled_rss(bot)
            feed = SteadyFeed(fakes.api, fakes.discord, opts.chats, discord_share=0.1)
            samples: list[tuple[float, float]] = []
            began = time.monotonic()
            for _ in range(max(1, round(opts.soak / opts.every))):
                await feed.run(opts.rate, opts.every)
                bot.check_alive()
                samples.append((time.monotonic() - began, bot.rss_mb()))
            await quiet(fakes.api, fakes.discord)
            return with_comments, samples, fakes.api.sends
        finally:
            await bot.stop()


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 2:
        return float("nan")
    xs, ys = zip(*samples, strict=True)
    return statistics.linear_regression(xs, ys).slope * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--soak", type=float, default=600.0, help="soak length, seconds")
    parser.add_argument("--rate", type=float, default=100.0, help="updates/s during the soak")
    parser.add_argument("--chats", type=int, default=2_000, help="distinct chats in the soak")
    parser.add_argument("--every", type=float, default=5.0, help="RSS sample interval, s")
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--comments", type=int, default=100_000)
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        empty = tmp / "empty.sqlite3"
        first = asyncio.run(start_once(tmp, empty))
        starts = [asyncio.run(start_once(tmp, empty)) for _ in range(opts.starts)]
        floors = [asyncio.run(floor_rss(tmp)) for _ in range(3)]
        idle_rss = [asyncio.run(idle(tmp, empty)) for _ in range(3)]

        full = tmp / "full.sqlite3"
        asyncio.run(migrate(f"sqlite+aiosqlite:///{full}"))
        began = time.monotonic()
        prefill_comments(str(full), opts.comments)
        fill_seconds = time.monotonic() - began
        with_comments, samples, replies = asyncio.run(loaded(tmp, full, opts))

    start = median([s.to_first_poll for s in starts])
    rss = [r for _, r in samples]
    growth = rss[-1] - rss[0] if rss else float("nan")
    late = [s for s in samples if s[0] >= samples[-1][0] / 2] if samples else []
    nan = float("nan")
    rows = [
        ["start to first poll, restart (s)", start, "< 2", _met(start < 2)],
        [
            "  of which spawn to first Bot API call (s)",
            median([s.to_first_call for s in starts]),
            "",
            "",
        ],
        [
            "start to first poll, new store (s)",
            first.to_first_poll,
            "< 2",
            _met(first.to_first_poll < 2),
        ],
        ["idle RSS, both adapters (MB)", median(idle_rss), "< 80", _met(median(idle_rss) < 80)],
        ["  floor: the frameworks imported, nothing else (MB)", median(floors), "", ""],
        [
            f"RSS with {opts.comments:,} comments (MB)",
            with_comments,
            "< 120",
            _met(with_comments < 120),
        ],
        ["soak: RSS first sample under load (MB)", rss[0] if rss else nan, "", ""],
        ["soak: RSS last sample (MB)", rss[-1] if rss else nan, "", ""],
        ["soak: RSS max (MB)", max(rss, default=nan), "", ""],
        ["soak: growth, last - first (MB)", growth, "< 5", _met(growth < 5)],
        ["soak: slope, whole soak (MB/min)", slope_per_minute(samples), "", ""],
        ["soak: slope, second half (MB/min)", slope_per_minute(late), "", ""],
    ]
    each = ", ".join(f"{s.to_first_poll:.2f}" for s in starts)
    print(
        f"`python -m bots`, Telegram + Discord on loopback fakes, SQLite; {machine()}. "
        f"Starts: median of {opts.starts} ({each} s); idle and floor: medians of 3; "
        f"{opts.comments:,} comments filled in {fill_seconds:.1f} s; soak {opts.soak:.0f} s at "
        f"{opts.rate:.0f} updates/s over {opts.chats:,} chats (10% Discord), "
        f"{len(samples)} samples, {replies:,} Telegram replies"
    )
    print(table(["figure", "value", "target", "met"], rows))
    # Where the growth happens: a leak climbs to the end, bounded caches level off.
    step = max(1, round(60 / opts.every))
    curve = ", ".join(f"{t / 60:.0f}′ {r:.1f}" for t, r in samples[step - 1 :: step])
    print(f"soak RSS (MB) by minute under load: {curve}")


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    main()
